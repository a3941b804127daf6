# Hardware profile: Windows 2000.
# Sources: /work/shared/research/legacy.md §1.2 and §6 (keys in docs/legacy.md).
[Profile]
Description=Windows 2000
OsIds=win2k;
[Hardware]
# pc-i440fx-7.2, hpet=off (research §6 row win2000); ACPI fixed before install: the HAL is
# chosen at setup [LKVM][VB-man].
Machine=pc
# pentium3: family 6 model 7 with SSE [X-probe].
CpuModel=pentium3
# 512 MB (research §6; VirtualBox: 168 MB [VB-os]).
MemoryMib=512
MemoryMaxMib=4096
Cpus=1
Video=std
VramMib=16
# AC'97 [VB-os].
Sound=ac97
AdLib=false
PcSpeaker=true
# rtl8139 (research §6; VirtualBox: PCnet [VB-os]).
NicModel=rtl8139
DiskGib=16
DiskMaxGib=127
Rtc=localtime
Acpi=on
Hpet=off
# USB tablet [VB-os].
Usb=on
Tablet=on
Vmport=on
Boot=cda
CpuLimit=off
