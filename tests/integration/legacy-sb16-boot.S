/* SPDX-License-Identifier: GPL-3.0-or-later */
/* legacy-sb16-boot.S: a 512-byte boot sector for test-legacy-cli.sh. It prints
 * "HVLEGACY begin", the Sound Blaster 16 DSP's answer to a reset (AA when the card is at
 * 0x220) and "HVLEGACY end" on COM1, then ends QEMU through isa-debug-exit at 0xf4 (the
 * HOSTVISOR_TEST_DEBUG_EXIT hook). The full hardware probe is tests/legacy-probe/. */
  .code16
  .globl _start
_start:
  cli
  xor %ax, %ax
  mov %ax, %ds
  mov %ax, %ss
  mov $0x7c00, %sp
  mov $msg1, %si
  call puts
  /* Sound Blaster 16 DSP reset: 1 then 0 to 0x226, then 0x22A reads 0xAA */
  mov $0x226, %dx
  mov $1, %al
  out %al, %dx
  mov $64, %cx
1:out %al, $0x80
  loop 1b
  xor %al, %al
  out %al, %dx
  mov $0x22e, %dx
  mov $0xffff, %cx
2:in %dx, %al
  test $0x80, %al
  jnz 3f
  loop 2b
3:mov $0x22a, %dx
  in %dx, %al
  call puthex
  mov $msg2, %si
  call puts
  /* isa-debug-exit (test hook): QEMU exits with (0x10 << 1) | 1 */
  mov $0x10, %al
  out %al, $0xf4
4:hlt
  jmp 4b
puts:
  mov $0x3f8, %dx
5:lodsb
  test %al, %al
  jz 6f
  out %al, %dx
  jmp 5b
6:ret
puthex:
  mov %al, %ah
  shr $4, %al
  call nibble
  mov %ah, %al
  and $0x0f, %al
nibble:
  add $'0', %al
  cmp $'9', %al
  jbe 7f
  add $7, %al
7:mov $0x3f8, %dx
  out %al, %dx
  ret
msg1: .asciz "HVLEGACY begin\r\nsb16="
msg2: .asciz "\r\nHVLEGACY end\r\n"
  . = _start + 510
  .byte 0x55, 0xaa
