# Hardware profile: Linux 2.0-2.2 distributions.
# Sources: /work/shared/research/legacy.md §1.2 and §6 (keys in docs/legacy.md).
[Profile]
Description=Linux 2.x (Red Hat Linux 1-6, Debian 1-2.2)
OsIds=rhl1.0;rhl1.1;rhl2.0;rhl2.1;rhl3.0.3;rhl4.0;rhl4.1;rhl4.2;rhl5.0;rhl5.1;rhl5.2;rhl6.0;rhl6.1;rhl6.2;debian1.1;debian1.2;debian1.3;debian2.0;debian2.1;debian2.2;
[Hardware]
# isapc with a 486 [SLK] (research §6 row linux-2.x); not pinned [X-help].
Machine=isapc
CpuModel=486
# 64 MB (research §6; not sourced further).
MemoryMib=64
MemoryMaxMib=256
Cpus=1
Video=std
VramMib=8
# sb16 (the kernel's sb driver) [SLK].
Sound=sb16
AdLib=true
PcSpeaker=true
# ne2k_isa at 0x300, IRQ 3 as for dos (Linux's ne driver takes irq= on its command line):
# pc's default e1000 is unknown to such kernels [SLK][DBS-eth].
NicModel=ne2k_isa
DiskGib=2
DiskMaxGib=8
# Linux keeps the RTC in UTC.
Rtc=utc
Acpi=off
Hpet=off
Usb=off
Tablet=off
Vmport=on
Boot=cda
CpuLimit=off
