# Hardware profile: Windows ME.
# Sources: /work/shared/research/legacy.md §1.2 and §6 (keys in docs/legacy.md).
[Profile]
Description=Windows ME
OsIds=winme;
[Hardware]
# As Windows 98 SE [3DFX] (research §6 row winme).
Machine=pc
CpuModel=pentium2
# VirtualBox: 128 MB [VB-os]; research §6: 256 MB; at most 512 MB [KB253912].
MemoryMib=256
MemoryMaxMib=512
Cpus=1
Video=std
VramMib=16
# AC'97 (VirtualBox's choice for ME [VB-os]); ES1370 works too [SGPU].
Sound=ac97
AdLib=false
PcSpeaker=true
# pcnet [3DFX].
NicModel=pcnet
# VirtualBox: 4 GB [VB-os].
DiskGib=8
DiskMaxGib=127
Rtc=localtime
Acpi=on
Hpet=off
# USB tablet: ME has the HID driver (VirtualBox gives ME a USB tablet [VB-os]).
Usb=on
Tablet=on
Vmport=on
Boot=cda
CpuLimit=off
