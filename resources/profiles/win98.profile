# Hardware profile: Windows 98 (and 98 SE).
# Sources: /work/shared/research/legacy.md §1.2, §0.3-0.4 and §6 (keys in docs/legacy.md).
[Profile]
Description=Windows 98 and 98 SE
OsIds=win98;
[Hardware]
# pc-i440fx-7.2, hpet=off [3DFX]; SeaBIOS's PnP BIOS can make 98 lose its PCI bus: force
# "PCI bus" in Device Manager if it happens [SGPU-q] (docs/legacy.md).
Machine=pc
# pentium2: family 6 model 5 [X-probe] [3DFX].
CpuModel=pentium2
# 256 MB [3DFX]; above 512 MB VCACHE breaks [KB253912][P9X].
MemoryMib=256
MemoryMaxMib=512
Cpus=1
# std VGA + SoftGPU; Cirrus as a fallback [SGPU].
Video=std
VramMib=16
# sb16 ("Creative SB16 or AWE-32" driver, dosbox-x #244), AdLib, PC speaker; ES1370 is the
# alternative (SB PCI128 driver) [SGPU][3DFX].
Sound=sb16
AdLib=true
PcSpeaker=true
# pcnet (AMD PCnet, in-box driver) [3DFX].
NicModel=pcnet
DiskGib=8
DiskMaxGib=127
Rtc=localtime
Acpi=on
Hpet=off
Usb=on
# PS/2 mouse: no tablet driver in 98 (UTM #291).
Tablet=off
Vmport=on
Boot=cda
CpuLimit=off
