# Hardware profile: Windows 3.x (on DOS).
# Sources: /work/shared/research/legacy.md §1.2 and §6 (keys in docs/legacy.md).
[Profile]
Description=Windows 3.x
OsIds=win1.0;win2.0;win2.1;win3.1;
[Hardware]
# The DOS machine (research §6 row win3x): isapc, no PCI; not pinned [X-help].
Machine=isapc
# 486 or pentium both work; the 486 keeps Windows' timing loops happy [X-probe].
CpuModel=486
# 32 MB: VirtualBox's Windows 3.1 type uses 32 MB [VB-os]; 386 enhanced mode rarely uses
# more than 64 MB.
MemoryMib=32
MemoryMaxMib=64
Cpus=1
# std VGA (isa-vga) + vbesvga.drv for any VBE mode [VBESVGA]; not Cirrus on isapc [X-loadvm].
Video=std
VramMib=8
# Creative's SB16 driver [VB-os]; AdLib for FM; PC speaker [Q-sb16][Q-adlib].
Sound=sb16
AdLib=true
PcSpeaker=true
# NE2000 on ISA at 0x300, IRQ 3 as for dos [X-probe][DBS-eth].
NicModel=ne2k_isa
DiskGib=2
DiskMaxGib=8
Rtc=localtime
Acpi=off
Hpet=off
Usb=off
Tablet=off
# vmport on: vmwmouse or VBMOUSE.DRV give seamless pointing [VMWM][VBADOS].
Vmport=on
Boot=cda
CpuLimit=off
