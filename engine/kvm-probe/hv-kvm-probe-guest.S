/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-kvm-probe-guest.S: the test guest that proves KVM before the engine trusts it.
 *
 * A 64 KiB firmware image (QEMU's -bios): the CPU starts at the reset vector at the end of
 * it, in real mode, like a PC. The guest does, in the order a real boot does them:
 *   1. real mode: CPUID (a 64-bit CPU with long mode, or it stops), then compute with
 *      stores, calls, software interrupts and a few port writes, as firmware does;
 *   2. switches between real and protected mode, as firmware and boot loaders do;
 *   3. page tables, PAE, EFER.LME, paging on: long mode; compute over a 4 MiB buffer;
 *   4. page table changes with TLB flushes, as a kernel setting itself up does;
 * then it writes its result, a 64-bit checksum of all of it, and ends QEMU through
 * isa-debug-exit. The engine knows the checksum (hv-kvm-probe.c models every step), so a
 * guest that ran wrong code cannot pass; markers between the steps let it time the work
 * without QEMU's own start and exit.
 *
 * Assembled with the C compiler and turned into a flat image with objcopy, without a
 * linker: every address is written as a difference of two labels of this one section
 * (ABS, PHYS), which the assembler resolves itself. The image is mapped at 0xf0000 (and at
 * the top of the first 4 GiB); code runs in segment 0xf000, so a label's offset in the
 * image is its offset in that segment.
 *
 * Quirks that matter: the reset leaves CR0.CD and NW set (caches off), which some KVMs
 * turn into uncached memory and a crawl, so they are cleared first, as SeaBIOS does. The
 * GDT is copied to RAM before use: a KVM that emulates the guest may fail to read
 * descriptors from the read-only BIOS region (seen on a nested PVM host: the far jump
 * into protected mode never completes). */

#include "hv-kvm-probe-guest.h"

#define ABS(x) ((x) - image_start)        /* offset in the image and in segment 0xf000 */
#define PHYS(x) (0xf0000 + ABS (x))       /* physical (and, once paging is on, virtual) */

#define DEBUGCON HV_KVM_PROBE_DEBUGCON_PORT
#define POST_PORT 0x80

/* Guest RAM below 1 MiB */
#define ACC 0x500               /* 32-bit accumulator: software interrupts, mode switches */
#define STATE32 0x504           /* the real mode xorshift state, for long mode */
#define VENDOR 0x510            /* CPUID vendor, 12 bytes */
#define GDT_DESC 0x5f8          /* limit (2 bytes) and base (4 bytes) for lgdt */
#define GDT_RAM 0x600
#define STACK 0x7000
#define PML4 0x1000
#define PDPT 0x2000
#define PD 0x3000
#define REAL_BUF_SEG 0x1000     /* real mode stores: 4 KiB at 0x10000 */
#define IVT_INT60 (0x60 * 4)

#define SEL_CODE32 0x08
#define SEL_DATA32 0x10
#define SEL_CODE64 0x18
#define SEL_CODE16 0x20         /* base 0xf0000: the way back to real mode */
#define SEL_DATA16 0x28

  .text
  .code16
image_start:
start:
  cli
  cld
  xor %ax, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov $STACK, %sp
  mov %cr0, %eax
  and $0x9fffffff, %eax         /* CD and NW off */
  mov %eax, %cr0
  mov $HV_KVM_PROBE_MARK_START, %al
  out %al, $DEBUGCON

  /* CPUID: a standard leaf 1, an extended leaf 0x80000001, and long mode in it. */
  xor %eax, %eax
  cpuid
  mov %ebx, VENDOR
  mov %edx, VENDOR + 4
  mov %ecx, VENDOR + 8
  cmp $1, %eax
  jb no_long_mode
  mov $0x80000000, %eax
  cpuid
  cmp $0x80000001, %eax
  jb no_long_mode
  mov $0x80000001, %eax
  cpuid
  bt $29, %edx                  /* LM */
  jnc no_long_mode

  /* 1. Real mode. */
  movw $ABS (int60), IVT_INT60
  movw $0xf000, IVT_INT60 + 2
  movl $0, ACC
  mov $REAL_BUF_SEG, %ax
  mov %ax, %es
  mov $HV_KVM_PROBE_SEED32, %ebx
  xor %ecx, %ecx
real_loop:
  mov %ebx, %eax                /* xorshift32 (13, 17, 5) */
  shl $13, %eax
  xor %eax, %ebx
  mov %ebx, %eax
  shr $17, %eax
  xor %eax, %ebx
  mov %ebx, %eax
  shl $5, %eax
  xor %eax, %ebx
  mov %cx, %di                  /* store it: es:4 * (i % 1024) */
  and $1023, %di
  shl $2, %di
  mov %ebx, %es:(%di)
  mov %bx, %si                  /* mix it: one of four functions, by its low bits */
  and $3, %si
  shl $1, %si
  call *%cs:ABS (real_table)(%si)
  mov %cx, %ax
  and $63, %ax
  cmp $63, %ax
  jne 1f
  int $0x60                     /* ACC += state */
1:
  mov %cx, %ax
  and $1023, %ax
  cmp $1023, %ax
  jne 2f
  out %al, $POST_PORT
2:
  inc %ecx
  cmp $HV_KVM_PROBE_REAL_ITERS, %ecx
  jb real_loop
  mov %ebx, STATE32
  xor %ax, %ax
  mov %ax, %es
  mov $HV_KVM_PROBE_MARK_REAL, %al
  out %al, $DEBUGCON

  /* 2. Mode switches, with the GDT in RAM (see the top of the file). */
  push %ds
  mov $0xf000, %ax
  mov %ax, %ds
  mov $ABS (gdt), %si
  mov $GDT_RAM, %di
  mov $(gdt_end - gdt), %cx
  rep movsb
  pop %ds
  movw $(gdt_end - gdt - 1), GDT_DESC
  movl $GDT_RAM, GDT_DESC + 2
  lgdtl GDT_DESC
  xor %esi, %esi
switch_loop:
  mov %cr0, %eax
  or $1, %eax                   /* PE */
  mov %eax, %cr0
  ljmpl $SEL_CODE32, $PHYS (switch_pm32)
  .code32
switch_pm32:
  mov $SEL_DATA32, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov ACC, %eax                 /* ACC = (ACC ^ i) * FNV prime */
  xor %esi, %eax
  imul $0x01000193, %eax, %eax
  mov %eax, ACC
  ljmp $SEL_CODE16, $ABS (switch_pm16)
  .code16
switch_pm16:
  mov $SEL_DATA16, %ax          /* real mode limits before PE goes off */
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov %cr0, %eax
  and $0xfffffffe, %eax
  mov %eax, %cr0
  ljmp $0xf000, $ABS (switch_real)
switch_real:
  xor %ax, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  inc %esi
  cmp $HV_KVM_PROBE_SWITCHES, %esi
  jb switch_loop
  mov $HV_KVM_PROBE_MARK_SWITCH, %al
  out %al, $DEBUGCON

  /* 3. Protected mode for good, then long mode: identity-map the first GiB with 2 MiB pages. */
  mov %cr0, %eax
  or $1, %eax
  mov %eax, %cr0
  ljmpl $SEL_CODE32, $PHYS (pm32)
  .code32
pm32:
  mov $SEL_DATA32, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov $STACK, %esp
  mov $PML4, %edi
  xor %eax, %eax
  mov $(3 * 4096 / 4), %ecx
  rep stosl
  movl $(PDPT | 3), PML4
  movl $(PD | 3), PDPT
  mov $PD, %edi
  mov $0x83, %eax               /* present, writable, 2 MiB */
  mov $512, %ecx
3:
  mov %eax, (%edi)
  add $0x200000, %eax
  add $8, %edi
  loop 3b
  mov %cr4, %eax
  or $0x20, %eax                /* PAE */
  mov %eax, %cr4
  mov $PML4, %eax
  mov %eax, %cr3
  mov $0xc0000080, %ecx         /* EFER.LME */
  rdmsr
  or $0x100, %eax
  wrmsr
  mov %cr0, %eax
  or $0x80000000, %eax          /* PG */
  mov %eax, %cr0
  ljmp $SEL_CODE64, $PHYS (lm)
  .code64
lm:
  mov $SEL_DATA32, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov $STACK, %rsp
  mov ACC, %eax                 /* state = ACC << 32 | real mode state */
  shl $32, %rax
  mov STATE32, %ebx
  or %rax, %rbx
  xor %rcx, %rcx
long_loop:
  mov %rbx, %rax                /* xorshift64 (13, 7, 17) */
  shl $13, %rax
  xor %rax, %rbx
  mov %rbx, %rax
  shr $7, %rax
  xor %rax, %rbx
  mov %rbx, %rax
  shl $17, %rax
  xor %rax, %rbx
  mov %rbx, %rdx                /* buffer[state & mask] += state */
  and $HV_KVM_PROBE_BUF_MASK, %rdx
  add %rbx, HV_KVM_PROBE_BUF(%rdx)
  mov %rbx, %rax
  and $3, %eax
  call *PHYS (long_table)(,%rax,8)
  inc %rcx
  cmp $HV_KVM_PROBE_LONG_ITERS, %rcx
  jb long_loop
  xor %rdx, %rdx                /* state += every word of the buffer */
4:
  add HV_KVM_PROBE_BUF(%rdx), %rbx
  add $8, %rdx
  cmp $(HV_KVM_PROBE_BUF_MASK + 8), %rdx
  jb 4b
  mov $HV_KVM_PROBE_MARK_LONG, %al
  out %al, $DEBUGCON

  /* 4. Page table changes: the window maps the buffer's first or second 2 MiB; without
   * the TLB flush of the CR3 reload a read would see the other half. */
  xor %rcx, %rcx
5:
  mov %rcx, %rax
  and $1, %rax
  shl $21, %rax
  add $(HV_KVM_PROBE_BUF | 0x83), %rax
  mov %rax, PD + (HV_KVM_PROBE_WINDOW >> 21) * 8
  mov %cr3, %rax
  mov %rax, %cr3
  mov %rcx, %rdx
  imul $HV_KVM_PROBE_WINDOW_STRIDE, %rdx, %rdx
  and $0x1ffff8, %rdx
  add HV_KVM_PROBE_WINDOW(%rdx), %rbx
  inc %rcx
  cmp $HV_KVM_PROBE_REMAPS, %rcx
  jb 5b
  mov $HV_KVM_PROBE_MARK_END, %al
  out %al, $DEBUGCON

  /* The result: the state in hex, a space, the CPUID vendor, a newline; then exit. */
  mov %rbx, %rdx
  mov $16, %ecx
6:
  rol $4, %rdx
  mov %dl, %al
  and $15, %al
  add $'0', %al
  cmp $'9', %al
  jbe 7f
  add $('a' - '9' - 1), %al
7:
  out %al, $DEBUGCON
  loop 6b
  mov $' ', %al
  out %al, $DEBUGCON
  mov $VENDOR, %rsi
  mov $12, %ecx
8:
  lodsb
  out %al, $DEBUGCON
  loop 8b
  mov $'\n', %al
  out %al, $DEBUGCON
  mov $HV_KVM_PROBE_EXIT_OK, %al
  out %al, $HV_KVM_PROBE_EXIT_PORT
9:
  hlt
  jmp 9b

/* The mixing functions: the same four in both modes, modelled by hv-kvm-probe.c. */
l0:
  add $0x1e3779b9, %rbx
  ret
l1:
  rol $7, %rbx
  ret
l2:
  xor $0x5bd1e995, %rbx
  ret
l3:
  ror $3, %rbx
  ret
  .balign 8
long_table:
  .quad PHYS (l0), PHYS (l1), PHYS (l2), PHYS (l3)

  .code16
r0:
  add $0x1e3779b9, %ebx
  ret
r1:
  rol $7, %ebx
  ret
r2:
  xor $0x5bd1e995, %ebx
  ret
r3:
  ror $3, %ebx
  ret
real_table:
  .word ABS (r0), ABS (r1), ABS (r2), ABS (r3)

int60:
  add %ebx, ACC
  iret

no_long_mode:
  mov $HV_KVM_PROBE_MARK_NO_LONG_MODE, %al
  out %al, $DEBUGCON
  mov $HV_KVM_PROBE_EXIT_NO_LONG_MODE, %al
  out %al, $HV_KVM_PROBE_EXIT_PORT
10:
  hlt
  jmp 10b

  .balign 8
gdt:
  .quad 0
  .quad 0x00cf9a000000ffff      /* 0x08: 32-bit code, flat */
  .quad 0x00cf92000000ffff      /* 0x10: data, flat */
  .quad 0x00af9a000000ffff      /* 0x18: 64-bit code */
  .quad 0x00009a0f0000ffff      /* 0x20: 16-bit code, base 0xf0000, 64 KiB */
  .quad 0x000092000000ffff      /* 0x28: 16-bit data, base 0, 64 KiB */
gdt_end:

  /* The reset vector: 16 bytes before the end, at 0xfffffff0 (and 0xffff0). */
  .org 0xfff0
  ljmp $0xf000, $ABS (start)
  .org 0x10000
