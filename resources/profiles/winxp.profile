# Hardware profile: Windows XP.
# Sources: /work/shared/research/legacy.md §1.2 and §6 (keys in docs/legacy.md).
[Profile]
Description=Windows XP
OsIds=winxp;
[Hardware]
# pc-i440fx-7.2 (research §6 row winxp); never toggle ACPI or the disk controller after
# install (HAL, STOP 0x7B) [VB-man][MERGE].
Machine=pc
# pentium3 (or host under KVM) [X-probe].
CpuModel=pentium3
# 512 MB; the CPU count is fixed before install (uni- vs multiprocessor HAL) [LKVM].
MemoryMib=512
MemoryMaxMib=4096
Cpus=1
Video=std
VramMib=16
# AC'97 [VB-os].
Sound=ac97
AdLib=false
PcSpeaker=true
# rtl8139 (in-box driver) (research §6).
NicModel=rtl8139
DiskGib=20
DiskMaxGib=127
Rtc=localtime
Acpi=on
Hpet=on
Usb=on
Tablet=on
Vmport=on
Boot=cda
CpuLimit=off
