# SPDX-License-Identifier: GPL-3.0-or-later
# Hostvisor's legacy hardware probe: a real-mode program on a bootable 1.44 MB floppy.
#
# The boot sector (with a FAT12 BPB, so the image is also an empty FAT12 disk) loads the
# rest of track 0 (sectors 2-18) to 0000:7E00 with INT 13h and jumps there. The probe then
# reports what the machine is, as "key=value" lines on COM1 (0x3F8, 115200 8N1) between
# "HVPROBE begin" and "HVPROBE end" (also shown on the screen), plays a 500 Hz square wave
# through the Sound Blaster 16 by 8-bit single-cycle DMA (0.5 s) and a 1000 Hz tone on the PC
# speaker (PIT channel 2, 0.5 s), and ends through isa-debug-exit (port 0xF4) when present,
# else halts. When drive B: holds a disk whose volume label starts with "HVWATCH", it first
# watches both floppy drives (INT 13h) and the CD-ROM drive (its own ATAPI PIO driver, on the
# secondary IDE channel) for media changes (see README.md). Keys: README.md.
#
# Build: as --32, ld -m elf_i386 -Ttext=0x7c00, objcopy -O binary (tests/legacy-probe/meson.build).

        .code16
        .intel_syntax noprefix
        .text
        .globl _start

        .set LOAD_SECTORS, 17           # sectors 2..18 of cylinder 0, head 0
        .set DMA_SEG, 0x1000            # SB16 DMA buffer: physical 0x10000 (DMA page 1)
        .set SECT_SEG, 0x2000           # sector buffer for the media watch
        .set VBE_SEG, 0x3000            # VBE controller info / E820 buffer
        .set TONE_SB_HZ, 500
        .set TONE_SB_RATE, 8000         # time constant 256 - 1e6/8000 = 131
        .set TONE_SB_LEN, 4000          # 0.5 s at 8000 Hz
        .set TONE_SPK_HZ, 1000
        .set TONE_SPK_DIV, 1193         # 1193182 / 1000
        .set WATCH_TICKS, 5461          # the media watch gives up after 300 s

# P "text": print an inline string.
        .macro P s
        call print_inline
        .asciz "\s"
        .endm

# ---------------------------------------------------------------------------------------
# Boot sector
_start:
        jmp boot
        nop
        .ascii "HVPROBE1"               # OEM name
        .word 512                       # bytes per sector
        .byte 1                         # sectors per cluster
        .word 18                        # reserved sectors (the probe lives there)
        .byte 2                         # FATs
        .word 224                       # root directory entries
        .word 2880                      # sectors
        .byte 0xF0                      # media descriptor
        .word 9                         # sectors per FAT
        .word 18                        # sectors per track
        .word 2                         # heads
        .long 0                         # hidden sectors
        .long 0                         # sectors (32-bit)
        .byte 0                         # drive number
        .byte 0
        .byte 0x29                      # extended boot signature
        .long 0x48565052                # serial
        .ascii "HVPROBE    "            # volume label (11)
        .ascii "FAT12   "

boot:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7C00
        sti
        cld
        .byte 0xEA                      # jmp 0000:boot2 (CS may be 07C0)
        .word boot2, 0
boot2:
        mov [boot_drive], dl
        mov di, 4
1:      mov ax, 0x0200 + LOAD_SECTORS
        mov bx, 0x7E00
        mov cx, 0x0002
        xor dh, dh
        mov dl, [boot_drive]
        int 0x13
        jnc main
        xor ax, ax
        mov dl, [boot_drive]
        int 0x13
        dec di
        jnz 1b
        mov si, offset load_error
2:      lodsb
        test al, al
        jz 3f
        mov ah, 0x0E
        mov bx, 7
        int 0x10
        jmp 2b
3:      cli
        hlt
        jmp 3b
load_error:
        .asciz "HVPROBE: cannot read the floppy\r\n"
boot_drive:
        .byte 0
        .org 510
        .word 0xAA55

# ---------------------------------------------------------------------------------------
# Output: COM1 and the screen

serial_init:
        push ax
        push dx
        mov dx, 0x3F9
        xor al, al
        out dx, al                      # no interrupts
        mov dx, 0x3FB
        mov al, 0x80
        out dx, al                      # DLAB
        mov dx, 0x3F8
        mov al, 1
        out dx, al                      # 115200
        inc dx
        xor al, al
        out dx, al
        mov dx, 0x3FB
        mov al, 3
        out dx, al                      # 8N1
        mov dx, 0x3FA
        mov al, 0xC7
        out dx, al                      # FIFO
        mov dx, 0x3FC
        mov al, 3
        out dx, al                      # DTR RTS
        pop dx
        pop ax
        ret

# putc: AL to COM1 (LF only) and the screen (CR LF). Keeps every register.
putc:
        push ax
        push bx
        push cx
        push dx
        mov ah, al
        mov dx, 0x3FD
        # Wait for the transmitter: QEMU keeps THR full while the host has not taken the last
        # byte (a busy host: seconds), and a byte written over it is lost. A missing port
        # reads 0xFF (THR empty), so this never waits there.
        mov bx, 64
1:      mov cx, 0xFFFF
4:      in al, dx
        test al, 0x20
        jnz 2f
        loop 4b
        dec bx
        jnz 1b
2:      mov dx, 0x3F8
        mov al, ah
        out dx, al
        mov bx, 7
        cmp ah, 10
        jne 3f
        push ax
        mov ax, 0x0E0D
        int 0x10
        pop ax
3:      mov al, ah
        mov ah, 0x0E
        int 0x10
        pop dx
        pop cx
        pop bx
        pop ax
        ret

nl:
        push ax
        mov al, 10
        call putc
        pop ax
        ret

# print_inline: prints the zero-terminated string that follows the call.
print_inline:
        push bp
        mov bp, sp
        push si
        push ax
        mov si, [bp + 2]
1:      lodsb
        test al, al
        jz 2f
        call putc
        jmp 1b
2:      mov [bp + 2], si
        pop ax
        pop si
        pop bp
        ret

# puts: DS:SI zero-terminated (at most CX=0 means unbounded).
puts:
        push ax
        push si
1:      lodsb
        test al, al
        jz 2f
        call putc
        jmp 1b
2:      pop si
        pop ax
        ret

hex4:
        push ax
        and al, 0x0F
        add al, '0'
        cmp al, '9'
        jbe 1f
        add al, 'A' - '9' - 1
1:      call putc
        pop ax
        ret

hex8:
        push ax
        push ax
        shr al, 4
        call hex4
        pop ax
        call hex4
        pop ax
        ret

hex16:
        xchg al, ah
        call hex8
        xchg al, ah
        call hex8
        ret

hex32:
        ror eax, 16
        call hex16
        ror eax, 16
        call hex16
        ret

# dec32: EAX unsigned in decimal.
dec32:
        pushad
        xor cx, cx
        mov ebx, 10
1:      xor edx, edx
        div ebx
        push dx
        inc cx
        test eax, eax
        jnz 1b
2:      pop ax
        add al, '0'
        call putc
        loop 2b
        popad
        ret

dec16:
        push eax
        movzx eax, ax
        call dec32
        pop eax
        ret

# bcd8: AL as two decimal digits from BCD (or binary when [rtc_binary] is set).
bcd8:
        push ax
        cmp byte ptr [rtc_binary], 0
        je 1f
        aam                             # AH = AL / 10, AL = AL % 10
        shl ah, 4
        or al, ah
1:      call hex8
        pop ax
        ret

# ---------------------------------------------------------------------------------------
# Small helpers

# cmos: AL = register, returns AL = value.
cmos:
        out 0x70, al
        in al, 0x71
        ret

# ticks: EAX = BIOS tick count (0040:006C).
ticks:
        mov eax, dword ptr [0x46C]
        ret

# wait_ticks: waits CX timer ticks (55 ms each) with interrupts on.
wait_ticks:
        push eax
        push ebx
        sti
        call ticks
        movzx ebx, cx
        add ebx, eax
1:      hlt
        call ticks
        sub eax, ebx
        js 1b
        pop ebx
        pop eax
        ret

io_delay:
        push ax
        in al, 0x80
        in al, 0x80
        in al, 0x80
        in al, 0x80
        pop ax
        ret

# ---------------------------------------------------------------------------------------
main:
        call serial_init
        call nl
        P "HVPROBE begin"
        call nl
        P "probe.version=1"
        call nl
        P "boot.drive="
        mov al, [boot_drive]
        call hex8
        call nl

        call probe_cpu
        cmp byte ptr [cpu_class], 3
        jae 1f
        P "probe.error=needs a 386 or later"
        call nl
        jmp finish
1:      call probe_memory
        call probe_bios
        call probe_pci
        call probe_acpi
        call probe_vga
        call probe_floppy
        call probe_sb16
        call probe_opl
        call probe_ne2k
        call probe_ps2
        call probe_vmport
        call probe_rtc
        call tone_sb16
        mov cx, 4
        call wait_ticks
        call tone_speaker
        call probe_speed
        call media_watch
finish:
        P "HVPROBE end"
        call nl
        # isa-debug-exit reads 0 where present (an empty ISA port reads 0xFF).
        in al, 0xF4
        test al, al
        jnz 2f
        mov al, 0                       # QEMU exits with status (0 << 1) | 1 = 1
        out 0xF4, al
2:      cli
        hlt
        jmp 2b

# ---------------------------------------------------------------------------------------
# CPU: class from the FLAGS/EFLAGS bits that toggle, then CPUID.
probe_cpu:
        # 8086: FLAGS bits 12-15 stay set.
        pushf
        pop ax
        and ax, 0x0FFF
        push ax
        popf
        pushf
        pop ax
        and ax, 0xF000
        cmp ax, 0xF000
        jne 1f
        mov byte ptr [cpu_class], 0
        P "cpu.class=8086"
        call nl
        ret
        # 286: bits 12-15 stay clear in real mode.
1:      pushf
        pop ax
        or ax, 0xF000
        push ax
        popf
        pushf
        pop ax
        test ax, 0xF000
        jnz 2f
        mov byte ptr [cpu_class], 2
        P "cpu.class=286"
        call nl
        ret
2:      # 386+: EFLAGS.AC (bit 18) toggles on a 486.
        pushfd
        pop eax
        mov ecx, eax
        xor eax, 0x40000
        push eax
        popfd
        pushfd
        pop eax
        push ecx
        popfd
        xor eax, ecx
        shr eax, 18
        and al, 1
        mov [cpu_ac], al
        # ID (bit 21) toggles where CPUID exists.
        pushfd
        pop eax
        mov ecx, eax
        xor eax, 0x200000
        push eax
        popfd
        pushfd
        pop eax
        push ecx
        popfd
        xor eax, ecx
        shr eax, 21
        and al, 1
        mov [cpu_id], al
        mov byte ptr [cpu_class], 3
        cmp byte ptr [cpu_ac], 0
        je 3f
        mov byte ptr [cpu_class], 4
3:      P "cpu.class="
        cmp byte ptr [cpu_class], 4
        je 4f
        P "386"
        jmp 5f
4:      P "486+"
5:      call nl
        P "cpu.eflags_ac="
        mov al, [cpu_ac]
        call hex4
        call nl
        P "cpu.eflags_id="
        mov al, [cpu_id]
        call hex4
        call nl
        # FPU: FNINIT then FNSTSW gives 0 where one answers.
        mov word ptr [scratch], 0x5A5A
        fninit
        fnstsw word ptr [scratch]
        P "cpu.fpu="
        cmp word ptr [scratch], 0
        sete al
        call hex4
        call nl
        cmp byte ptr [cpu_id], 0
        je 9f
        xor eax, eax
        cpuid
        mov [cpu_vendor], ebx
        mov [cpu_vendor + 4], edx
        mov [cpu_vendor + 8], ecx
        mov byte ptr [cpu_vendor + 12], 0
        mov esi, eax
        P "cpu.max_leaf="
        mov eax, esi
        call dec32
        call nl
        P "cpu.vendor="
        mov si, offset cpu_vendor
        call puts
        call nl
        cmp esi, 1
        jb 9f
        mov eax, 1
        cpuid
        mov esi, eax
        mov edi, edx
        mov ebp, ecx
        P "cpu.family="
        mov eax, esi
        shr eax, 8
        and eax, 0x0F
        call dec32
        call nl
        P "cpu.model="
        mov eax, esi
        shr eax, 4
        and eax, 0x0F
        call dec32
        call nl
        P "cpu.stepping="
        mov eax, esi
        and eax, 0x0F
        call dec32
        call nl
        P "cpu.features_edx="
        mov eax, edi
        call hex32
        call nl
        P "cpu.features_ecx="
        mov eax, ebp
        call hex32
        call nl
        P "cpu.tsc="
        mov eax, edi
        shr eax, 4
        and al, 1
        call hex4
        call nl
        P "cpu.mmx="
        mov eax, edi
        shr eax, 23
        and al, 1
        call hex4
        call nl
        P "cpu.sse="
        mov eax, edi
        shr eax, 25
        and al, 1
        call hex4
        call nl
9:      ret

# ---------------------------------------------------------------------------------------
# Memory as the BIOS reports it.
probe_memory:
        int 0x12
        P "mem.conventional_kb="
        call dec16
        call nl
        mov ah, 0x88
        int 0x15
        jc 1f
        P "mem.int15_88_kb="
        call dec16
        call nl
1:      xor bx, bx
        xor cx, cx
        xor dx, dx
        mov ax, 0xE801
        int 0x15
        jc 2f
        test ax, ax                     # some BIOSes answer in CX/DX only
        jnz 3f
        mov ax, cx
        mov bx, dx
3:      movzx esi, ax
        movzx edi, bx
        P "mem.e801_1m_16m_kb="
        mov eax, esi
        call dec32
        call nl
        P "mem.e801_above_16m_64k="
        mov eax, edi
        call dec32
        call nl
        # Rounded up to whole MiB: a pc BIOS keeps its ACPI tables at the top of the RAM.
        P "mem.total_mb="
        mov eax, edi
        shl eax, 6
        add eax, esi
        add eax, 1024 + 1023
        shr eax, 10
        call dec32
        call nl
        jmp 4f
2:      P "mem.e801=unsupported"
        call nl
4:      P "mem.cmos_ext_kb="
        mov al, 0x18
        call cmos
        mov ah, al
        mov al, 0x17
        call cmos
        call dec16
        call nl
        P "mem.cmos_above_16m_64k="
        mov al, 0x35
        call cmos
        mov ah, al
        mov al, 0x34
        call cmos
        call dec16
        call nl
        # E820: sum of the usable (type 1) ranges below 4 GiB, in KiB.
        xor ebx, ebx
        xor ebp, ebp
        xor si, si
5:      push es
        mov ax, VBE_SEG
        mov es, ax
        xor di, di
        mov eax, 0xE820
        mov ecx, 20
        mov edx, 0x534D4150
        int 0x15
        pop es
        jc 6f
        cmp eax, 0x534D4150
        jne 6f
        inc si
        push ds
        mov ax, VBE_SEG
        mov ds, ax
        cmp dword ptr [16], 1
        jne 7f
        cmp dword ptr [12], 0
        jne 7f
        cmp dword ptr [4], 0
        jne 7f
        mov eax, dword ptr [8]
        shr eax, 10
        add ebp, eax
7:      pop ds
        test ebx, ebx
        jz 6f
        cmp si, 64
        jb 5b
6:      P "mem.e820_entries="
        mov ax, si
        call dec16
        call nl
        P "mem.e820_usable_kb="
        mov eax, ebp
        call dec32
        call nl
        ret

# BIOS equipment word.
probe_bios:
        int 0x11
        P "bios.equipment="
        call hex16
        call nl
        P "bios.floppies="
        test al, 1
        jz 1f
        shr al, 6
        inc al
        jmp 2f
1:      xor al, al
2:      call hex4
        call nl
        ret

# ---------------------------------------------------------------------------------------
# PCI: configuration mechanism 1 present, the PCI BIOS, then bus 0.
pci_read:                               # EAX = address, returns EAX = dword
        push dx
        mov dx, 0xCF8
        out dx, eax
        mov dx, 0xCFC
        in eax, dx
        pop dx
        ret

probe_pci:
        mov dx, 0xCF8
        in eax, dx
        mov ebx, eax
        mov eax, 0x80000000
        out dx, eax
        in eax, dx
        xchg eax, ebx
        out dx, eax
        P "pci.present="
        cmp ebx, 0x80000000
        sete al
        mov [pci_present], al
        call hex4
        call nl
        mov ax, 0xB101
        xor edi, edi
        int 0x1A
        jc 1f
        test ah, ah
        jnz 1f
        cmp edx, 0x20494350
        jne 1f
        P "pci.bios="
        mov ax, bx
        call hex16
        call nl
1:      cmp byte ptr [pci_present], 0
        je 9f
        xor bx, bx                      # BX = device << 3 | function
2:      movzx eax, bx
        shl eax, 8
        or eax, 0x80000000
        mov ebp, eax
        call pci_read
        cmp ax, 0xFFFF
        je 5f
        mov esi, eax
        P "pci.00:"
        mov al, bl
        shr al, 3
        call hex8
        P "."
        mov al, bl
        and al, 7
        call hex4
        P "="
        mov eax, esi
        call hex16
        P ":"
        shr eax, 16
        call hex16
        P " class="
        mov eax, ebp
        or al, 8
        call pci_read
        shr eax, 16
        call hex16
        P " irq="
        mov eax, ebp
        or al, 0x3C
        call pci_read
        mov ecx, eax
        shr eax, 8
        test al, al
        jz 3f
        mov eax, ecx
        call dec16p
        jmp 4f
3:      P "-"
4:      call nl
        # Functions 1-7 only where function 0 says multi-function.
        test bl, 7
        jnz 5f
        mov eax, ebp
        or al, 0x0C
        call pci_read
        test eax, 0x800000
        jnz 5f
        add bx, 8
        jmp 6f
5:      inc bx
6:      cmp bx, 256
        jb 2b
9:      ret

dec16p:                                 # AL as a decimal number
        push eax
        movzx eax, al
        call dec32
        pop eax
        ret

# ---------------------------------------------------------------------------------------
# ACPI: the RSDP in the BIOS area (E0000h-FFFFFh), then the signatures of the tables its RSDT
# lists, read from high memory with INT 15h AH=87h (the BIOS's block move).

# xmove: copies CX words from physical EAX to XMOVE_BUF (physical 0x30800, VBE_SEG:0800).
# CF on error.
        .set XMOVE_BUF, (VBE_SEG << 4) + 0x800
xmove:
        pushad
        push es
        mov [xm_gdt + 16 + 2], ax               # source base 0-15
        shr eax, 16
        mov [xm_gdt + 16 + 4], al               # base 16-23
        mov [xm_gdt + 16 + 7], ah               # base 24-31
        xor ax, ax
        mov es, ax
        mov si, offset xm_gdt
        mov ah, 0x87
        int 0x15
        pop es
        popad
        ret

probe_acpi:
        push es
        mov ax, 0xE000
1:      mov es, ax
        xor di, di
2:      cmp dword ptr es:[di], 0x20445352       # "RSD "
        jne 3f
        cmp dword ptr es:[di + 4], 0x20525450   # "PTR "
        je 5f
3:      add di, 16
        jnz 2b
        mov ax, es
        add ax, 0x1000
        jnc 1b
        pop es
        P "acpi.rsdp=0"
        call nl
        ret
5:      P "acpi.rsdp=1"
        call nl
        P "acpi.oem="
        mov cx, 6
        lea si, [di + 9]
6:      mov al, es:[si]
        cmp al, 0x20
        jbe 7f
        call putc
7:      inc si
        loop 6b
        call nl
        P "acpi.revision="
        mov al, es:[di + 15]
        call hex8
        call nl
        mov ebx, es:[di + 16]                   # RSDT
        pop es
        mov eax, ebx
        mov cx, 128                             # header + up to 55 entries
        call xmove
        jc 9f
        push ds
        mov ax, VBE_SEG
        mov ds, ax
        cmp dword ptr [0x800], 0x54445352       # "RSDT"
        mov ecx, [0x804]                        # length
        pop ds
        jne 9f
        P "acpi.tables="
        sub ecx, 36
        shr ecx, 2
        cmp ecx, 55
        jbe 8f
        mov ecx, 55
8:      mov di, offset acpi_rsdt
        push ds
        push es
        mov ax, ds
        mov es, ax
        mov ax, VBE_SEG
        mov ds, ax
        push cx
        mov cx, 256
        mov si, 0x800
        rep movsb                               # keep the RSDT: the buffer is reused
        pop cx
        pop es
        pop ds
        mov si, offset acpi_rsdt + 36
        xor dx, dx
10:     jcxz 12f
        mov eax, [si]
        push cx
        mov cx, 2
        call xmove
        pop cx
        jc 11f
        test dx, dx
        jz 13f
        P ","
13:     inc dx
        push ds
        push si
        mov ax, VBE_SEG
        mov ds, ax
        mov si, 0x800
        push cx
        mov cx, 4
14:     lodsb
        call putc
        loop 14b
        pop cx
        pop si
        pop ds
11:     add si, 4
        dec cx
        jmp 10b
12:     call nl
        ret
9:      P "acpi.rsdt=unreadable"
        call nl
        ret

# ---------------------------------------------------------------------------------------
# VGA: Cirrus extension registers, the Bochs VBE interface, the VBE BIOS.
probe_vga:
        mov dx, 0x3C4
        mov al, 6
        out dx, al
        inc dx
        in al, dx
        mov cl, al                      # SR6 before
        mov al, 0x12
        out dx, al                      # unlock Cirrus extensions
        in al, dx
        P "vga.sr6="
        call hex8
        call nl
        mov dx, 0x3D4
        mov al, 0x27
        out dx, al
        inc dx
        in al, dx
        mov ch, al
        P "vga.cr27="
        call hex8
        call nl
        P "vga.cirrus="
        mov al, ch
        and al, 0xFC
        cmp al, 0xA0
        jne 1f
        P "5430"
        jmp 3f
1:      cmp al, 0xB8
        jne 2f
        P "5446"
        jmp 3f
2:      P "none"
3:      call nl
        mov dx, 0x3C4
        mov al, 6
        out dx, al
        inc dx
        mov al, cl
        out dx, al                      # restore SR6
        mov dx, 0x1CE
        xor ax, ax
        out dx, ax
        inc dx
        in ax, dx
        P "vga.bochs_vbe_id="
        call hex16
        call nl
        push es
        mov ax, VBE_SEG
        mov es, ax
        xor di, di
        mov dword ptr es:[0], 0x32454256 # "VBE2"
        mov ax, 0x4F00
        int 0x10
        cmp ax, 0x004F
        jne 4f
        P "vga.vbe="
        mov ax, es:[4]
        call hex16
        call nl
        P "vga.vbe_mem_kb="
        movzx eax, word ptr es:[0x12]
        shl eax, 6
        call dec32
        call nl
        P "vga.vbe_oem="
        push ds
        lds si, dword ptr es:[6]
        mov cx, 48
5:      lodsb
        test al, al
        jz 6f
        cmp al, 0x20
        jb 6f
        cmp al, 0x7E
        ja 6f
        call putc
        loop 5b
6:      pop ds
        call nl
        jmp 7f
4:      P "vga.vbe=none"
        call nl
7:      pop es
        ret

# ---------------------------------------------------------------------------------------
# Floppy: drive types from the CMOS, the controller's version.
fd_type_name:                           # AL = CMOS type
        cmp al, 0
        jne 1f
        P "none"
        ret
1:      cmp al, 1
        jne 2f
        P "360K"
        ret
2:      cmp al, 2
        jne 3f
        P "1.2M"
        ret
3:      cmp al, 3
        jne 4f
        P "720K"
        ret
4:      cmp al, 4
        jne 5f
        P "1.44M"
        ret
5:      cmp al, 5
        jne 6f
        P "2.88M"
        ret
6:      P "type"
        call hex4
        ret

probe_floppy:
        mov al, 0x10
        call cmos
        mov bl, al
        P "fdc.cmos10="
        call hex8
        call nl
        P "fdc.a="
        mov al, bl
        shr al, 4
        call fd_type_name
        call nl
        P "fdc.b="
        mov al, bl
        and al, 0x0F
        call fd_type_name
        call nl
        mov dx, 0x3F4
        in al, dx
        P "fdc.msr="
        call hex8
        call nl
        cmp al, 0xFF
        je 9f
        mov cx, 0xFFFF
1:      in al, dx
        and al, 0xC0
        cmp al, 0x80
        je 2f
        loop 1b
        jmp 9f
2:      inc dx
        mov al, 0x10                    # VERSION
        out dx, al
        dec dx
        mov cx, 0xFFFF
3:      in al, dx
        and al, 0xD0
        cmp al, 0xD0
        je 4f
        loop 3b
        jmp 9f
4:      inc dx
        in al, dx
        P "fdc.version="
        call hex8
        call nl
9:      ret

# ---------------------------------------------------------------------------------------
# Sound Blaster 16 at 0x220.
dsp_write:                              # AL; CF on timeout
        push cx
        push dx
        push ax
        mov dx, 0x22C
        mov cx, 0xFFFF
1:      in al, dx
        test al, 0x80
        jz 2f
        loop 1b
        pop ax
        stc
        jmp 3f
2:      pop ax
        out dx, al
        clc
3:      pop dx
        pop cx
        ret

dsp_read:                               # AL; CF on timeout
        push cx
        push dx
        mov dx, 0x22E
        mov cx, 0xFFFF
1:      in al, dx
        test al, 0x80
        jnz 2f
        loop 1b
        stc
        jmp 3f
2:      mov dx, 0x22A
        in al, dx
        clc
3:      pop dx
        pop cx
        ret

mixer_read:                             # AL = register → AL
        push dx
        mov dx, 0x224
        out dx, al
        inc dx
        in al, dx
        pop dx
        ret

probe_sb16:
        mov byte ptr [sb16_present], 0
        mov dx, 0x226
        mov al, 1
        out dx, al
        call io_delay
        xor al, al
        out dx, al
        call dsp_read
        jnc 1f
        mov al, 0xFF
1:      P "sb16.reset="
        call hex8
        call nl
        cmp al, 0xAA
        je 2f
        P "sb16.present=0"
        call nl
        ret
2:      mov byte ptr [sb16_present], 1
        P "sb16.present=1"
        call nl
        mov al, 0xE1
        call dsp_write
        call dsp_read
        mov ah, al
        call dsp_read
        P "sb16.version="
        xchg al, ah
        call dec16p
        P "."
        xchg al, ah
        call hex8
        call nl
        mov al, 0xE0
        call dsp_write
        mov al, 0x55
        call dsp_write
        call dsp_read
        P "sb16.identify="
        call hex8
        call nl
        mov al, 0x80
        call mixer_read
        P "sb16.irq="
        mov ah, al
        mov al, 2
        test ah, 1
        jnz 3f
        mov al, 5
        test ah, 2
        jnz 3f
        mov al, 7
        test ah, 4
        jnz 3f
        mov al, 10
        test ah, 8
        jnz 3f
        mov al, 0
3:      call dec16p
        call nl
        mov al, 0x81
        call mixer_read
        P "sb16.dma_select="
        call hex8
        call nl
        ret

# The SB16 tone: a 500 Hz square wave, 8000 Hz 8-bit mono, 4000 bytes, single-cycle DMA on
# channel 1, completion seen in mixer register 0x82 (IRQ 5 masked, polled).
tone_sb16:
        cmp byte ptr [sb16_present], 0
        jne 1f
        P "tone.sb16=absent"
        call nl
        ret
1:      push es
        mov ax, DMA_SEG
        mov es, ax
        xor di, di
        xor cx, cx
2:      mov al, 0x40
        test cx, 8
        jz 3f
        mov al, 0xC0
3:      stosb
        inc cx
        cmp cx, TONE_SB_LEN
        jb 2b
        pop es
        in al, 0x21
        mov [pic_mask], al
        or al, 0x20
        out 0x21, al                    # mask IRQ 5
        mov al, 0x05
        out 0x0A, al                    # mask DMA 1
        xor al, al
        out 0x0C, al                    # flip-flop
        mov al, 0x49
        out 0x0B, al                    # single, increment, read (memory to device), ch 1
        xor al, al
        out 0x02, al
        out 0x02, al                    # address 0x0000
        mov al, DMA_SEG >> 12
        out 0x83, al                    # page
        mov ax, TONE_SB_LEN - 1
        out 0x03, al
        mov al, ah
        out 0x03, al
        mov al, 0x01
        out 0x0A, al                    # unmask DMA 1
        mov al, 0xD1
        call dsp_write                  # speaker on
        mov al, 0x40
        call dsp_write
        mov al, 256 - 1000000 / TONE_SB_RATE
        call dsp_write
        call ticks
        mov esi, eax
        mov al, 0x14
        call dsp_write
        mov ax, TONE_SB_LEN - 1
        call dsp_write
        mov al, ah
        call dsp_write
        xor bl, bl
4:      mov al, 0x82
        call mixer_read
        test al, 1
        jnz 5f
        sti
        hlt
        call ticks
        sub eax, esi
        cmp eax, 60
        jb 4b
        jmp 6f
5:      mov bl, 1
6:      call ticks
        sub eax, esi
        mov edi, eax
        mov dx, 0x22E
        in al, dx                       # acknowledge the 8-bit IRQ
        mov al, 0xD3
        call dsp_write                  # speaker off
        mov al, [pic_mask]
        out 0x21, al
        P "tone.sb16.hz="
        mov ax, TONE_SB_HZ
        call dec16
        call nl
        P "tone.sb16.ms="
        mov ax, TONE_SB_LEN * 1000 / TONE_SB_RATE
        call dec16
        call nl
        P "tone.sb16.irq_seen="
        mov al, bl
        call hex4
        call nl
        P "tone.sb16.ticks="
        mov eax, edi
        call dec32
        call nl
        ret

# The PC speaker tone: PIT channel 2, mode 3, 1000 Hz, 9 ticks (0.49 s).
tone_speaker:
        mov al, 0xB6
        out 0x43, al
        mov ax, TONE_SPK_DIV
        out 0x42, al
        mov al, ah
        out 0x42, al
        in al, 0x61
        or al, 3
        out 0x61, al
        mov cx, 9
        call wait_ticks
        in al, 0x61
        and al, 0xFC
        out 0x61, al
        P "tone.speaker.hz="
        mov ax, TONE_SPK_HZ
        call dec16
        call nl
        P "tone.speaker.ms=495"
        call nl
        ret

# ---------------------------------------------------------------------------------------
# OPL2 (AdLib) at 0x388: the timer 1 overflow sets status bits 7 and 6.
opl_write:                              # AH = register, AL = value
        push cx
        push dx
        push ax
        mov dx, 0x388
        mov al, ah
        out dx, al
        mov cx, 6
1:      in al, dx
        loop 1b
        pop ax
        inc dx
        out dx, al
        dec dx
        push ax
        mov cx, 35
2:      in al, dx
        loop 2b
        pop ax
        pop dx
        pop cx
        ret

probe_opl:
        mov ax, 0x0460
        call opl_write
        mov ax, 0x0480
        call opl_write
        mov dx, 0x388
        in al, dx
        mov bl, al
        mov ax, 0x02FF
        call opl_write
        mov ax, 0x0421
        call opl_write
        mov cx, 2
        call wait_ticks
        mov dx, 0x388
        in al, dx
        mov bh, al
        mov ax, 0x0460
        call opl_write
        mov ax, 0x0480
        call opl_write
        P "opl.status="
        mov al, bl
        and al, 0xE0
        call hex8
        P ","
        mov al, bh
        and al, 0xE0
        call hex8
        call nl
        P "opl.present="
        and bx, 0xE0E0
        cmp bx, 0xC000
        sete al
        call hex4
        call nl
        ret

# ---------------------------------------------------------------------------------------
# NE2000 at 0x300: reset, then Linux ne.c's sequence to read the 32-byte station PROM.
ne_seq:
        .byte 0x00, 0x21, 0x0E, 0x48, 0x0A, 0x00, 0x0B, 0x00, 0x0F, 0x00, 0x07, 0xFF
        .byte 0x0C, 0x20, 0x0D, 0x02, 0x0A, 32, 0x0B, 0x00, 0x08, 0x00, 0x09, 0x00
        .byte 0x00, 0x0A
        .set NE_SEQ_LEN, (. - ne_seq) / 2

probe_ne2k:
        mov dx, 0x31F
        in al, dx
        out dx, al
        mov dx, 0x307
        mov cx, 0xFFFF
1:      in al, dx
        cmp al, 0xFF
        je 2f
        test al, 0x80
        jnz 3f
2:      loop 1b
        P "ne2k.present=0"
        call nl
        ret
3:      mov al, 0xFF
        out dx, al
        mov si, offset ne_seq
        mov cx, NE_SEQ_LEN
4:      lodsb
        movzx dx, al
        add dx, 0x300
        lodsb
        out dx, al
        loop 4b
        mov dx, 0x310
        mov di, offset ne_prom
        mov cx, 32
5:      in al, dx
        mov [di], al
        inc di
        loop 5b
        P "ne2k.prom="
        mov si, offset ne_prom
        mov cx, 32
6:      lodsb
        call hex8
        loop 6b
        call nl
        # Present: each byte doubled in 0..11, the 57 57 signature at 28..31.
        mov si, offset ne_prom
        xor bl, bl
        mov cx, 6
7:      mov ax, [si]
        cmp al, ah
        jne 8f
        add si, 2
        loop 7b
        cmp word ptr [ne_prom + 28], 0x5757
        jne 8f
        cmp word ptr [ne_prom + 30], 0x5757
        jne 8f
        mov bl, 1
8:      P "ne2k.present="
        mov al, bl
        call hex4
        call nl
        test bl, bl
        jz 9f
        P "ne2k.mac="
        mov si, offset ne_prom
        mov cx, 6
10:     mov al, [si]
        call hex8
        add si, 2
        cmp cx, 1
        je 11f
        P ":"
11:     loop 10b
        call nl
        P "ne2k.signature="
        mov al, [ne_prom + 28]
        call hex8
        mov al, [ne_prom + 30]
        call hex8
        call nl
        call ne2k_irq
        mov al, 0x21
        mov dx, 0x300
        out dx, al                      # stop
9:      ret

# Page 0, start, no DMA; IMR <- remote DMA complete; 2 bytes from 0; remote read.
ne_irq_seq:
        .byte 0x00, 0x22, 0x0F, 0x40, 0x0A, 0x02, 0x0B, 0x00, 0x08, 0x00, 0x09, 0x00
        .byte 0x00, 0x0A
        .set NE_IRQ_SEQ_LEN, (. - ne_irq_seq) / 2

# The card's interrupt line: with every IRQ masked at the PICs, a remote DMA read of 2 bytes
# with only its "remote DMA complete" interrupt enabled (IMR 0x40) raises the card's line;
# the line that became pending in the PICs' IRR (the timer's IRQ 0 aside) is reported as
# ne2k.irq (hex), "none" when none rose.
ne2k_irq:
        cli
        in al, 0x21
        push ax
        in al, 0xA1
        push ax
        mov al, 0xFF
        out 0x21, al
        out 0xA1, al
        mov dx, 0x307
        out dx, al                      # ISR: clear all
        call pic_irr
        mov bx, ax                      # pending before
        mov si, offset ne_irq_seq
        mov cx, NE_IRQ_SEQ_LEN
1:      lodsb
        movzx dx, al
        add dx, 0x300
        lodsb
        out dx, al
        loop 1b
        mov dx, 0x310
        in al, dx
        in al, dx                       # the 2 bytes: remote DMA complete
        call pic_irr
        not bx
        and ax, bx
        and ax, 0xFFFE                  # the timer ticks on regardless
        mov bx, ax
        mov dx, 0x30F
        xor al, al
        out dx, al                      # IMR: none
        mov dx, 0x307
        mov al, 0xFF
        out dx, al                      # ISR: clear (the line drops)
        pop ax
        out 0xA1, al
        pop ax
        out 0x21, al
        sti
        P "ne2k.irq="
        test bx, bx
        jnz 2f
        P "none"
        jmp 4f
2:      xor al, al
3:      shr bx, 1
        jc 5f
        inc al
        jmp 3b
5:      call hex4
        test bx, bx
        jz 4f
        P "+more"
4:      call nl
        ret

# AX: the IRR of both PICs (OCW3 "read IRR"; slave in AH).
pic_irr:
        mov al, 0x0A
        out 0xA0, al
        in al, 0xA0
        mov ah, al
        mov al, 0x0A
        out 0x20, al
        in al, 0x20
        ret

# ---------------------------------------------------------------------------------------
# PS/2: the 8042's command byte, its aux interface test, the mouse's ID (IRQ 1/12 masked).
kbc_wait_write:
        push cx
        mov cx, 0xFFFF
1:      in al, 0x64
        test al, 2
        jz 2f
        loop 1b
2:      pop cx
        ret

kbc_read:                               # AL, CF on timeout (about 0.2 s)
        push cx
        push bx
        mov bx, 64
1:      mov cx, 0xFFFF
2:      in al, 0x64
        test al, 1
        jnz 3f
        loop 2b
        dec bx
        jnz 1b
        stc
        jmp 4f
3:      in al, 0x60
        clc
4:      pop bx
        pop cx
        ret

kbc_cmd:                                # AH = command
        call kbc_wait_write
        mov al, ah
        out 0x64, al
        ret

kbc_flush:
        push cx
        mov cx, 32
1:      in al, 0x64
        test al, 1
        jz 2f
        in al, 0x60
        loop 1b
2:      pop cx
        ret

probe_ps2:
        cli
        in al, 0x21
        mov [pic_mask], al
        or al, 0x02
        out 0x21, al
        in al, 0xA1
        mov [pic_mask + 1], al
        or al, 0x10
        out 0xA1, al
        call kbc_flush
        mov ah, 0x20
        call kbc_cmd
        call kbc_read
        jnc 1f
        mov al, 0xFF
1:      mov bl, al
        P "ps2.ccb="
        call hex8
        call nl
        mov ah, 0xA9
        call kbc_cmd
        call kbc_read
        jnc 2f
        mov al, 0xFF
2:      P "ps2.aux_test="
        call hex8
        call nl
        mov ah, 0xA8
        call kbc_cmd
        mov ah, 0xD4
        call kbc_cmd
        call kbc_wait_write
        mov al, 0xF2
        out 0x60, al
        call kbc_read
        jnc 3f
        mov al, 0xFF
3:      mov bh, al
        call kbc_read
        jnc 4f
        mov al, 0xFF
4:      mov cl, al
        P "ps2.aux_id="
        mov al, bh
        call hex8
        mov al, cl
        call hex8
        call nl
        P "ps2.aux="
        cmp bh, 0xFA
        sete al
        call hex4
        call nl
        mov ah, 0xA7
        call kbc_cmd                    # aux off again, as the BIOS left it
        mov ah, 0x60
        call kbc_cmd
        call kbc_wait_write
        mov al, bl
        out 0x60, al                    # restore the command byte
        call kbc_flush
        mov al, [pic_mask]
        out 0x21, al
        mov al, [pic_mask + 1]
        out 0xA1, al
        sti
        ret

# ---------------------------------------------------------------------------------------
# The VMware backdoor (QEMU's vmport): GETVERSION.
probe_vmport:
        mov eax, 0x564D5868
        mov ebx, 0xFFFFFFFF
        mov ecx, 10
        mov dx, 0x5658
        in eax, dx
        mov esi, eax
        P "vmport.present="
        cmp ebx, 0x564D5868
        sete cl
        mov al, cl
        call hex4
        call nl
        test cl, cl
        jz 1f
        P "vmport.version="
        mov eax, esi
        call dec32
        call nl
1:      ret

# ---------------------------------------------------------------------------------------
# RTC: the status registers and the time (as stored: local or UTC is the host's choice).
probe_rtc:
        mov cx, 0xFFFF
1:      mov al, 0x0A
        call cmos
        test al, 0x80
        jz 2f
        loop 1b
2:      mov al, 0x0A
        call cmos
        P "rtc.status_a="
        call hex8
        call nl
        mov al, 0x0B
        call cmos
        mov bl, al
        P "rtc.status_b="
        call hex8
        call nl
        mov al, 0x0D
        call cmos
        P "rtc.status_d="
        call hex8
        call nl
        mov al, bl
        shr al, 2
        and al, 1
        mov [rtc_binary], al
        P "rtc.time="
        mov al, 0x32
        call cmos
        call bcd8
        mov al, 0x09
        call cmos
        call bcd8
        P "-"
        mov al, 0x08
        call cmos
        call bcd8
        P "-"
        mov al, 0x07
        call cmos
        call bcd8
        P "T"
        mov al, 0x04
        call cmos
        call bcd8
        P ":"
        mov al, 0x02
        call cmos
        call bcd8
        P ":"
        mov al, 0x00
        call cmos
        call bcd8
        call nl
        ret

# ---------------------------------------------------------------------------------------
# Speed: iterations of a 3-instruction loop during one BIOS tick (55 ms).
probe_speed:
        sti
        call ticks
        mov ebx, eax
1:      call ticks
        cmp eax, ebx
        je 1b
        mov ebx, eax
        xor ecx, ecx
        push fs
        xor ax, ax
        mov fs, ax
2:      inc ecx
        cmp ebx, dword ptr fs:[0x46C]
        je 2b
        pop fs
        P "speed.loops_per_tick="
        mov eax, ecx
        call dec32
        call nl
        ret

# ---------------------------------------------------------------------------------------
# The media watch. Asked for by a disk in B: labelled "HVWATCH...": then every 4 ticks both
# drives' boot sectors are read again (and the controller's disk change line is sampled
# first); every difference is printed. It ends when a disk labelled "HVSTOP" appears in
# either drive, or after 300 s.

# read_boot: DL = drive → CF on error; else [media_sum] = 16-bit sum, label at SECT_SEG:2B.
read_boot:
        push es
        pusha
        mov si, 3
1:      mov ax, SECT_SEG
        mov es, ax
        xor bx, bx
        mov ax, 0x0201
        mov cx, 0x0001
        xor dh, dh
        push dx
        int 0x13
        pop dx
        jnc 2f
        xor ax, ax
        int 0x13
        dec si
        jnz 1b
        popa
        pop es
        stc
        ret
2:      xor si, si
        xor bx, bx
        mov cx, 256
3:      add bx, es:[si]
        add si, 2
        loop 3b
        mov [media_sum], bx
        popa
        pop es
        clc
        ret

# seek_away: DL = drive. Reads cylinder 1 (to SECT_SEG:0200): the head leaves track 0, which
# clears the controller's disk change line while a disk is in, so the next sample of the line
# says whether the disk changed since this poll.
seek_away:
        push es
        pusha
        mov ax, SECT_SEG
        mov es, ax
        mov bx, 0x200
        mov ax, 0x0201
        mov cx, 0x0101
        xor dh, dh
        int 0x13
        popa
        pop es
        ret

# The disk change line of drive DL (0/1), sampled from the FDC's DIR: AL = 0/1.
dskchg:
        push dx
        mov al, dl
        and al, 1
        mov ah, 0x1C                    # motor A, DMA+IRQ, not reset, drive 0
        test al, al
        jz 1f
        mov ah, 0x2D                    # motor B, drive 1
1:      mov al, ah
        mov dx, 0x3F2
        out dx, al
        mov dx, 0x3F7
        in al, dx
        shr al, 7
        pop dx
        ret

# print_label: the volume label of the sector buffer (printable characters only).
print_label:
        push ds
        push si
        push cx
        push ax
        mov ax, SECT_SEG
        mov ds, ax
        mov si, 0x2B
        mov cx, 11
1:      lodsb
        cmp al, 0x21
        jb 2f
        cmp al, 0x7E
        ja 2f
        call putc
2:      loop 1b
        pop ax
        pop cx
        pop si
        pop ds
        ret

# media_check: DL = drive. Compares with the last state, prints a line when it changed.
# Sets [watch_stop] when the disk is labelled HVSTOP.
media_check:
        pushad
        movzx bx, dl
        shl bx, 1
        call dskchg
        mov [media_dskchg], al
        inc dword ptr [media_polls]
        call read_boot
        jc 1f
        call seek_away
        mov ax, [media_sum]
        jmp 2f
1:      mov ax, 0xFFFF                  # "empty or unreadable"
        mov word ptr [media_sum], 0xFFFF
2:      cmp byte ptr [media_seen + bx], 0
        je 3f
        cmp ax, [media_last + bx]
        jne 3f
        # The same disk (or still none): a change line set now is a false alarm.
        cmp ax, 0xFFFF
        je 9f
        cmp byte ptr [media_dskchg], 0
        je 9f
        inc dword ptr [media_false]
        jmp 9f
3:      mov [media_last + bx], ax
        mov byte ptr [media_seen + bx], 1
        P "media."
        mov al, 'a'
        add al, dl
        call putc
        P "="
        cmp word ptr [media_sum], 0xFFFF
        jne 4f
        P "empty"
        jmp 5f
4:      P "label:"
        call print_label
        P " sum:"
        mov ax, [media_sum]
        call hex16
5:      P " dskchg:"
        mov al, [media_dskchg]
        call hex4
        P " t:"
        call ticks
        sub eax, [watch_start]
        call dec32
        call nl
        cmp word ptr [media_sum], 0xFFFF
        je 9f
        push es
        mov ax, SECT_SEG
        mov es, ax
        mov si, 0x2B
        cmp dword ptr es:[si], 0x54535648 # "HVST"
        jne 7f
        cmp word ptr es:[si + 4], 0x504F # "OP"
        jne 7f
        mov byte ptr [watch_stop], 1
7:      pop es
9:      popad
        ret

# ---------------------------------------------------------------------------------------
# The CD drive in the media watch: ATAPI by PIO, with no interrupts (nIEN), on the secondary
# IDE channel's master (170h/376h), where the legacy profiles put their ide-cd. SeaBIOS gives
# a CD no INT 13h drive unless it booted from it, so the probe talks to the drive itself.
# Every wait for BSY to clear has a timeout (ATA_TICKS, and a loop count should the BIOS
# clock stand): a slow or absent drive never hangs the watch.
        .set ATA_BASE, 0x170
        .set ATA_CTRL, 0x376
        .set ATA_TICKS, 36              # 2 s per wait
        .set CD_BUF, 0x0400             # SECT_SEG:0400, 2048 bytes
        .set CD_TRIES, 4                # TEST UNIT READYs per poll

# ata_delay: 400 ns or more (four reads of the alternate status).
ata_delay:
        push ax
        push dx
        mov dx, ATA_CTRL
        in al, dx
        in al, dx
        in al, dx
        in al, dx
        pop dx
        pop ax
        ret

# ata_wait: waits until BSY is clear → AL = status; CF on timeout. Keeps the upper half of
# EAX undefined.
ata_wait:
        push ebx
        push ecx
        push dx
        sti
        call ticks
        mov ebx, eax
        mov ecx, 0x400000
        mov dx, ATA_CTRL
1:      in al, dx
        test al, 0x80
        jz 2f
        dec ecx
        jz 3f
        call ticks
        sub eax, ebx
        cmp eax, ATA_TICKS
        jb 1b
3:      pop dx
        pop ecx
        pop ebx
        stc
        ret
2:      mov dx, ATA_BASE + 7            # the status register
        in al, dx
        pop dx
        pop ecx
        pop ebx
        clc
        ret

# ata_reset: software reset of the channel (after a timeout), interrupts stay off.
ata_reset:
        push ax
        push dx
        mov dx, ATA_CTRL
        mov al, 0x06                    # SRST + nIEN
        out dx, al
        call ata_delay
        call ata_delay
        mov al, 0x02
        out dx, al
        call ata_delay
        call ata_wait
        pop dx
        pop ax
        ret

# ata_packet: DS:SI = a 12-byte ATAPI command, ES:DI = the buffer, CX = the most bytes it may
# return. → AH = 0: done, CX = bytes read; AH = 1: CHECK CONDITION (AL = error register, the
# sense key in bits 7-4); AH = 2: a timeout or a protocol error (the channel is reset). CF
# when AH is not 0.
ata_packet:
        push bx
        push dx
        push si
        push di
        cld
        mov [ata_left], cx
        mov bx, cx
        call ata_wait
        jc 8f
        mov dx, ATA_BASE + 6
        mov al, 0xA0                    # master
        out dx, al
        call ata_delay
        call ata_wait
        jc 8f
        mov dx, ATA_BASE + 1
        xor al, al                      # features: PIO, no overlap
        out dx, al
        mov dx, ATA_BASE + 4
        mov al, bl                      # byte count limit
        out dx, al
        inc dx
        mov al, bh
        out dx, al
        mov dx, ATA_BASE + 7
        mov al, 0xA0                    # PACKET
        out dx, al
        call ata_delay
        call ata_wait
        jc 8f
        test al, 0x01
        jnz 7f
        test al, 0x08                   # DRQ: the drive takes the command
        jz 8f
        mov cx, 6
        mov dx, ATA_BASE
        rep outsw
1:      call ata_delay
        call ata_wait
        jc 8f
        test al, 0x01
        jnz 7f
        test al, 0x08
        jz 6f                           # no more data
        mov dx, ATA_BASE + 5            # this block's byte count
        in al, dx
        mov ah, al
        dec dx
        in al, dx
        inc ax
        shr ax, 1                       # words
        jz 8f
        mov cx, ax
        shl ax, 1
        cmp ax, [ata_left]
        ja 8f                           # more than asked for
        sub [ata_left], ax
        mov dx, ATA_BASE
        rep insw
        jmp 1b
6:      mov cx, bx
        sub cx, [ata_left]
        xor ah, ah
        jmp 9f
7:      mov dx, ATA_BASE + 1
        in al, dx
        mov ah, 1
        jmp 9f
8:      call ata_reset
        mov ah, 2
9:      pop di
        pop si
        pop dx
        pop bx
        cmp ah, 1
        cmc
        ret

# cd_detect: [cd_present] = 1 when the secondary master answers IDENTIFY PACKET DEVICE as a
# CD-ROM (word 0: ATAPI, device type 05h).
cd_detect:
        pushad
        push es
        mov byte ptr [cd_present], 0
        mov dx, ATA_CTRL
        mov al, 0x02                    # nIEN: no IRQ 15 from the drive
        out dx, al
        mov dx, ATA_BASE + 6
        mov al, 0xA0
        out dx, al
        call ata_delay
        mov dx, ATA_BASE + 7
        in al, dx
        cmp al, 0xFF                    # no controller
        je 9f
        call ata_wait
        jc 9f
        mov dx, ATA_BASE + 7
        mov al, 0xA1                    # IDENTIFY PACKET DEVICE
        out dx, al
        call ata_delay
        call ata_wait
        jc 8f
        test al, 0x01
        jnz 9f
        test al, 0x08
        jz 9f
        mov ax, SECT_SEG
        mov es, ax
        mov di, CD_BUF
        mov cx, 256
        mov dx, ATA_BASE
        cld
        rep insw
        call ata_wait
        mov ax, es:[CD_BUF]
        and ax, 0xDF00
        cmp ax, 0x8500
        jne 9f
        mov byte ptr [cd_present], 1
        jmp 9f
8:      call ata_reset
9:      pop es
        popad
        ret

# media_cd: one poll of the CD drive; prints a line when what is in it changed:
#   media.cd=label:VOLUMEID sum:XXXX ua:1 t:N   (ISO 9660 volume id of sector 16)
#   media.cd=none ua:0 t:N                      (NOT READY, MEDIUM NOT PRESENT: 02h/3Ah)
# ua: whether UNIT ATTENTION, MEDIUM MAY HAVE CHANGED (06h/28h) came in this poll. A poll
# that times out, or ends neither ready nor without a medium, changes nothing.
media_cd:
        cmp byte ptr [cd_present], 0
        jne 1f
        ret
1:      pushad
        push es
        mov ax, SECT_SEG
        mov es, ax
        mov byte ptr [cd_ua], 0
        mov byte ptr [cd_try], CD_TRIES
2:      mov word ptr [cd_sense_last], 0
        mov si, offset cd_cmd_tur
        xor cx, cx
        mov di, CD_BUF
        call ata_packet
        cmp ah, 2
        je 8f
        test ah, ah
        jz 4f
        mov si, offset cd_cmd_sense
        mov cx, 18
        mov di, CD_BUF
        call ata_packet
        cmp ah, 2
        je 8f
        test ah, ah
        jnz 3f
        mov al, es:[CD_BUF + 2]
        and al, 0x0F                    # sense key
        mov ah, es:[CD_BUF + 12]        # additional sense code
        mov [cd_sense_last], ax
        cmp ax, 0x2806
        jne 3f
        mov byte ptr [cd_ua], 1
3:      dec byte ptr [cd_try]
        jnz 2b
        cmp word ptr [cd_sense_last], 0x3A02
        jne 9f                          # neither ready nor empty: look again next time
        mov al, 1                       # none
        xor bx, bx
        jmp 5f
4:      mov si, offset cd_cmd_read
        mov cx, 2048
        mov di, CD_BUF
        call ata_packet
        cmp ah, 2
        je 8f
        test ah, ah
        jnz 9f
        cmp cx, 2048
        jne 9f
        xor si, si
        xor bx, bx
        mov cx, 1024
6:      add bx, es:[CD_BUF + si]
        add si, 2
        loop 6b
        mov al, 2                       # a disc
5:      cmp al, [cd_kind]
        jne 7f
        cmp al, 1
        je 9f
        cmp bx, [cd_sum]
        jne 7f
        mov si, CD_BUF + 40             # the same sum: compare the volume id too
        mov di, offset cd_id
        mov cx, 32
6:      mov ah, es:[si]
        cmp ah, [di]
        jne 7f
        inc si
        inc di
        loop 6b
        jmp 9f
7:      mov [cd_kind], al
        mov [cd_sum], bx
        mov si, CD_BUF + 40
        mov di, offset cd_id
        mov cx, 32
6:      mov ah, es:[si]
        mov [di], ah
        inc si
        inc di
        loop 6b
        P "media.cd="
        cmp al, 1
        jne 6f
        P "none"
        jmp 5f
6:      P "label:"
        call print_cd_label
        P " sum:"
        mov ax, bx
        call hex16
5:      P " ua:"
        mov al, [cd_ua]
        call hex4
        P " t:"
        call ticks
        sub eax, [watch_start]
        call dec32
        call nl
        jmp 9f
8:      inc dword ptr [cd_timeouts]
9:      pop es
        popad
        ret

# print_cd_label: the volume id (printable characters of bytes 40-71) of the primary volume
# descriptor at SECT_SEG:CD_BUF; "-" when the sector is no ISO 9660 primary volume descriptor.
print_cd_label:
        push ds
        pusha
        mov ax, SECT_SEG
        mov ds, ax
        mov si, CD_BUF
        cmp dword ptr [si], 0x30444301  # 01 "CD0"
        jne 3f
        cmp word ptr [si + 4], 0x3130   # "01"
        jne 3f
        add si, 40
        mov cx, 32
1:      lodsb
        cmp al, 0x21
        jb 2f
        cmp al, 0x7E
        ja 2f
        call putc
2:      loop 1b
        jmp 4f
3:      mov al, '-'
        call putc
4:      popa
        pop ds
        ret

cd_cmd_tur:     .byte 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
cd_cmd_sense:   .byte 0x03, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0
cd_cmd_read:    .byte 0x28, 0, 0, 0, 0, 16, 0, 0, 1, 0, 0, 0    # READ(10) LBA 16, 1 block

media_watch:
        mov al, 0x10
        call cmos
        test al, 0x0F
        jz 1f
        mov dl, 1
        call read_boot
        jc 1f
        push es
        mov ax, SECT_SEG
        mov es, ax
        cmp dword ptr es:[0x2B], 0x41575648 # "HVWA"
        jne 2f
        cmp word ptr es:[0x2F], 0x4354  # "TC"
        jne 2f
        cmp byte ptr es:[0x31], 'H'
        jne 2f
        pop es
        jmp 3f
2:      pop es
1:      P "media.watch=0"
        call nl
        ret
3:      P "media.watch=1"
        call nl
        call ticks
        mov [watch_start], eax
        mov byte ptr [watch_stop], 0
        call cd_detect
        cmp byte ptr [cd_present], 0
        jne 4f
        P "media.cd=nodrive"
        call nl
4:      mov dl, 0
        call media_check
        mov dl, 1
        call media_check
        call media_cd
        cmp byte ptr [watch_stop], 0
        jne 5f
        call ticks
        sub eax, [watch_start]
        cmp eax, WATCH_TICKS
        jae 6f
        mov cx, 4
        call wait_ticks
        jmp 4b
5:      P "media.watch_end=stopped"
        jmp 7f
6:      P "media.watch_end=timeout"
7:      call nl
        P "media.polls="
        mov eax, [media_polls]
        call dec32
        call nl
        P "media.dskchg_false="
        mov eax, [media_false]
        call dec32
        call nl
        cmp byte ptr [cd_present], 0
        je 8f
        P "media.cd_timeouts="
        mov eax, [cd_timeouts]
        call dec32
        call nl
8:      ret

# ---------------------------------------------------------------------------------------
        .balign 4
# INT 15h AH=87h descriptors: null, GDT, source, destination (XMOVE_BUF), two for the BIOS.
xm_gdt:
        .quad 0, 0
        .word 0xFFFF, 0
        .byte 0, 0x93, 0, 0
        .word 0xFFFF, XMOVE_BUF & 0xFFFF
        .byte XMOVE_BUF >> 16, 0x93, 0, 0
        .quad 0, 0
acpi_rsdt:      .space 256
watch_start:    .long 0
media_polls:    .long 0
cd_timeouts:    .long 0
cd_id:          .space 32
cd_sum:         .word 0
cd_sense_last:  .word 0
ata_left:       .word 0
cd_present:     .byte 0
cd_kind:        .byte 0
cd_ua:          .byte 0
cd_try:         .byte 0
media_false:    .long 0
cpu_vendor:     .space 16
scratch:        .word 0
media_last:     .word 0, 0
media_seen:     .word 0, 0
media_sum:      .word 0
media_dskchg:   .byte 0
watch_stop:     .byte 0
cpu_class:      .byte 0
cpu_ac:         .byte 0
cpu_id:         .byte 0
pci_present:    .byte 0
sb16_present:   .byte 0
rtc_binary:     .byte 0
pic_mask:       .byte 0, 0
ne_prom:        .space 32

        # The probe must fit in sectors 1-18 (what the boot sector loads).
        .org 18 * 512
# FAT12: two FATs (media F0) and a root directory with the volume label, so the image is
# also a valid empty FAT12 floppy.
        .byte 0xF0, 0xFF, 0xFF
        .org 27 * 512
        .byte 0xF0, 0xFF, 0xFF
        .org 36 * 512
        .ascii "HVPROBE    "
        .byte 0x08
