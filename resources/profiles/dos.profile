# Hardware profile: MS-DOS and FreeDOS.
# Sources: the research brief on legacy guests (§1.2 and §6), keys in brackets resolved in
# docs/legacy.md "Sources": [X-…] are measurements with a probe floppy on QEMU 7.2, the others
# the cited projects and pages.
[Profile]
Description=MS-DOS and FreeDOS
# libosinfo short ids this profile is picked for.
OsIds=msdos6.22;freedos1.2;freedos1.3;
[Hardware]
# isapc: an ISA-only PC as DOS knew it; QEMU has no versioned isapc type (-machine help), so
# the VM is not pinned [X-help]; research §6 row dos-486.
Machine=isapc
# QEMU's 486 model: family 4 model 8, has CPUID, no TSC [X-probe]; FreeDOS cpulevel shows
# "family 4 model 8" [X-fd].
CpuModel=486
# 16 MB: E801 reports 15360 KB, FreeDOS mem shows 15 360 K XMS [X-probe][X-fd]; DOS extenders
# rarely use more than 64 MB (research §1.2: 16-64 MB).
MemoryMib=16
MemoryMaxMib=64
Cpus=1
# std VGA (isa-vga, VBE 3.0): isapc's default isa-cirrus-vga makes QEMU 7.2 abort on loadvm
# [X-loadvm] (research §0.1).
Video=std
VramMib=8
# Sound Blaster 16 at 0x220 IRQ 5 DMA 1/5 (DSP 4.05) with the AdLib OPL2 at 0x388 [X-probe]
# [Q-sb16][Q-adlib]; the PC speaker through pcspk-audiodev [Q-dep][FLC].
Sound=sb16
AdLib=true
PcSpeaker=true
# NE2000 on ISA at 0x300 (QEMU's PROM has the doubled MAC and 57 57) [X-probe][LNX-ne]; DOS
# packet drivers know it. IRQ 3 (the engine's ne2k_isa): DOSBox Staging's default, chosen to
# keep clear of the SB16 and GUS [DBS-eth]; QEMU's own is 9. The probe reads ne2k.irq=3.
NicModel=ne2k_isa
# DOS reads INT 13h CHS: at most 1023/255/63, 8.4 GB [X-probe].
DiskGib=2
DiskMaxGib=8
# DOS keeps local time in the RTC [QE][FLC].
Rtc=localtime
# isapc has no PCI, so no ACPI, HPET or USB; the mouse is PS/2 (+ vmport for VBMOUSE/vmwmouse
# seamless pointing [VBADOS][VMWM], on by default in QEMU [X-probe]).
Acpi=off
Hpet=off
Usb=off
Tablet=off
Vmport=on
# Floppy first: the pc machine tries C: first and prints "Boot failed" [X-fd].
Boot=acd
# No speed limit by default (it keeps the VM on TCG for good): `--cpu-limit 486` [X-icount].
CpuLimit=off
