/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hv-kvm-probe-guest.h: the numbers that the KVM test guest (hv-kvm-probe-guest.S) and the
 * engine's model of it (hv-kvm-probe.c) share. Preprocessor definitions only: the assembler
 * reads this file too.
 *
 * The amounts of work were chosen from measurements (docs/architecture.md, "Acceleration"):
 * under QEMU's TCG the guest works for about 50-100 ms; on healthy KVM, where it runs at
 * native speed, about a tenth of that; under a KVM that emulates the guest (a nested or
 * paravirtual KVM such as PVM) hundreds of times longer. */
#pragma once

/* The guest's output port (QEMU's isa-debugcon) and its exit port (isa-debug-exit, which
 * ends QEMU with the status (value << 1) | 1). */
#define HV_KVM_PROBE_DEBUGCON_PORT 0xe9
#define HV_KVM_PROBE_EXIT_PORT 0xf4
#define HV_KVM_PROBE_EXIT_OK 0x31        /* QEMU exits with 99 */
#define HV_KVM_PROBE_EXIT_NO_LONG_MODE 0x21 /* QEMU exits with 67 */

/* Markers on the output port, in this order, then the result line
 * "<16 hex digits> <CPUID vendor>\n". */
#define HV_KVM_PROBE_MARK_START 'S'      /* the first instructions ran */
#define HV_KVM_PROBE_MARK_REAL 'R'       /* real mode work done */
#define HV_KVM_PROBE_MARK_SWITCH 'P'     /* real <-> protected mode switches done */
#define HV_KVM_PROBE_MARK_LONG 'L'       /* long mode work done */
#define HV_KVM_PROBE_MARK_END 'E'        /* page table changes done: the work is over */
#define HV_KVM_PROBE_MARK_NO_LONG_MODE 'F' /* CPUID: no long mode; then exit */

/* Real mode: iterations of a 32-bit xorshift with a store, a call through a table, a
 * software interrupt every 64 and a write to port 0x80 (POST codes) every 1024. */
#define HV_KVM_PROBE_REAL_ITERS 100000
#define HV_KVM_PROBE_SEED32 0x12345678
/* Round trips real mode -> 32-bit protected mode -> 16-bit protected mode -> real mode. */
#define HV_KVM_PROBE_SWITCHES 64
/* Long mode: iterations of a 64-bit xorshift that adds into a random place of a 4 MiB
 * buffer (many pages: TLB misses) and calls through a table; then the buffer is summed. */
#define HV_KVM_PROBE_LONG_ITERS 200000
#define HV_KVM_PROBE_BUF 0x800000        /* physical and virtual (identity mapped) */
#define HV_KVM_PROBE_BUF_MASK 0x3ffff8   /* 4 MiB, 8-byte aligned offsets */
/* Page table changes: a 2 MiB window at HV_KVM_PROBE_WINDOW is pointed at either half of the
 * buffer in turn, CR3 is reloaded (a TLB flush) and a word is read through it. */
#define HV_KVM_PROBE_REMAPS 64
#define HV_KVM_PROBE_WINDOW 0x2000000    /* 32 MiB: page directory entry 16 */
#define HV_KVM_PROBE_WINDOW_STRIDE 0x1e8 /* bytes between the words read (61 * 8) */

/* Guest memory: QEMU gives it 16 MiB. */
#define HV_KVM_PROBE_MEMORY_MIB 16
