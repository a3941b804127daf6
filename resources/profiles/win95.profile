# Hardware profile: Windows 95.
# Sources: /work/shared/research/legacy.md §1.2, §0.3 and §6 (keys in docs/legacy.md).
[Profile]
Description=Windows 95
OsIds=win95;
[Hardware]
# pc-i440fx-7.2 (pinned like every pc VM) with ACPI and HPET off [W95] (research §6).
Machine=pc
# pentium: family 5 with MMX and TSC [X-probe]; Windows 95 breaks on CPUs ≳2 GHz (the
# IOS/NDIS "Windows protection error") [P9X][TB].
CpuModel=pentium
# 128 MB [W95] (VirtualBox: 64 MB [VB-os]); at most 512 MB (VCACHE, KB253912) [KB253912].
MemoryMib=128
MemoryMaxMib=512
Cpus=1
# std VGA + VMDisp9x/SoftGPU [SGPU][VMD].
Video=std
VramMib=16
# sb16 [W95]; Creative's Win95 SB16 driver (v86 #1101).
Sound=sb16
AdLib=true
PcSpeaker=true
# ne2k_pci [W95].
NicModel=ne2k_pci
# VirtualBox: 2 GB [VB-os]; FAT16 partitions are at most 2 GB, FAT32 (OSR2) more.
DiskGib=2
DiskMaxGib=32
Rtc=localtime
# acpi=off, hpet=off [W95]; no USB tablet (UTM #291): PS/2 mouse.
Acpi=off
Hpet=off
Usb=on
Tablet=off
Vmport=on
Boot=cda
CpuLimit=off
# TCG by default: under KVM the host's fast CPU triggers the IOS protection error unless
# FIX95CPU/patcher9x is applied [W95][P9X].
Acceleration=tcg
