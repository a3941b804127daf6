#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Makes test appliances for test-import.sh, as VirtualBox 7 and VMware write them.

make-appliance.py vbox OUT.ova DISK.vmdk [--efi] [--group /Lab/Imported] [--name N]
    An OVA as VirtualBox 7 exports it: OVF 1.0 with the vbox: extension (OSType, Machine with
    Firmware and Groups), a streamOptimized VMDK, a SHA256 manifest; tar order ovf, vmdk, mf.
make-appliance.py ovf2 OUTDIR/NAME.ovf DISK FORMAT-URI [--virtio] [--iso OUTDIR/X.iso]
    An OVF 2.0 package in a directory (descriptor, disk, SHA1 manifest), the disk on a SATA
    controller (or VirtualBox's VirtioSCSI with --virtio), two adapters (virtio, E1000 on a
    bridged network), a CD-ROM (with the package's ISO with --iso), a floppy and a serial port
    (left out).
make-appliance.py tar OUT.ova MEMBER-SPEC...
    A hostile ustar archive: each spec is NAME=FILE (a regular member), NAME@TARGET (a
    symbolic link), or NAME=FILE!SIZE (a header that declares SIZE bytes).
Options after the positional arguments: --manifest-lie (a wrong checksum for the disk),
--doctype (an entity in the descriptor), --os CIM:VBOX.
"""
import hashlib
import io
import os
import sys
import tarfile

VBOX_OVF = """<?xml version="1.0"?>
<Envelope ovf:version="1.0" xml:lang="en-US" xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:vbox="http://www.virtualbox.org/ovf/machine">
  <References>
    <File ovf:id="file1" ovf:href="{disk}"/>
  </References>
  <DiskSection>
    <Info>List of the virtual disks used in the package</Info>
    <Disk ovf:capacity="{capacity}" ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized" vbox:uuid="6f4c6a3e-1d2b-4c55-9a5e-6a1b2c3d4e5f"/>
  </DiskSection>
  <NetworkSection>
    <Info>Logical networks used in the package</Info>
    <Network ovf:name="NAT">
      <Description>Logical network used by this appliance.</Description>
    </Network>
  </NetworkSection>
  <VirtualSystem ovf:id="{name}">
    <Info>A virtual machine</Info>
    <OperatingSystemSection ovf:id="{cim}">
      <Info>The kind of installed guest operating system</Info>
      <Description>{vbox_os}</Description>
      <vbox:OSType ovf:required="false">{vbox_os}</vbox:OSType>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements for a virtual machine</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>{name}</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>virtualbox-2.2</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:Caption>2 virtual CPU</rasd:Caption>
        <rasd:Description>Number of virtual CPUs</rasd:Description>
        <rasd:ElementName>2 virtual CPU</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>2</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>MegaBytes</rasd:AllocationUnits>
        <rasd:Caption>320 MB of memory</rasd:Caption>
        <rasd:Description>Memory Size</rasd:Description>
        <rasd:ElementName>320 MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>320</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:Caption>ideController0</rasd:Caption>
        <rasd:Description>IDE Controller</rasd:Description>
        <rasd:ElementName>ideController0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>PIIX4</rasd:ResourceSubType>
        <rasd:ResourceType>5</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:Caption>sataController0</rasd:Caption>
        <rasd:Description>SATA Controller</rasd:Description>
        <rasd:ElementName>sataController0</rasd:ElementName>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:ResourceSubType>AHCI</rasd:ResourceSubType>
        <rasd:ResourceType>20</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Caption>Ethernet adapter on 'NAT'</rasd:Caption>
        <rasd:Connection>NAT</rasd:Connection>
        <rasd:ElementName>Ethernet adapter on 'NAT'</rasd:ElementName>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceSubType>E1000</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:Caption>sound</rasd:Caption>
        <rasd:Description>Sound Card</rasd:Description>
        <rasd:ElementName>sound</rasd:ElementName>
        <rasd:InstanceID>6</rasd:InstanceID>
        <rasd:ResourceSubType>ensoniq1371</rasd:ResourceSubType>
        <rasd:ResourceType>35</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:Caption>disk1</rasd:Caption>
        <rasd:Description>Disk Image</rasd:Description>
        <rasd:ElementName>disk1</rasd:ElementName>
        <rasd:HostResource>/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>7</rasd:InstanceID>
        <rasd:Parent>4</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:AutomaticAllocation>false</rasd:AutomaticAllocation>
        <rasd:Caption>cdrom1</rasd:Caption>
        <rasd:Description>CD-ROM Drive</rasd:Description>
        <rasd:ElementName>cdrom1</rasd:ElementName>{iso_res}
        <rasd:InstanceID>8</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>15</rasd:ResourceType>
      </Item>
    </VirtualHardwareSection>
    <vbox:Machine ovf:required="false" version="1.19-linux" uuid="{{8a3e6c0e-4a6b-4f3c-9c55-0a1b2c3d4e5f}}" name="{name}" OSType="{vbox_os}" snapshotFolder="Snapshots">
      <ovf:Info>Complete VirtualBox machine configuration in VirtualBox format</ovf:Info>
      <Hardware>
        <CPU count="2">
          <PAE enabled="true"/>
        </CPU>
        <Memory RAMSize="320"/>
        <Firmware type="{firmware}"/>
        <Boot>
          <Order position="1" device="HardDisk"/>
        </Boot>
      </Hardware>
      <Groups>
{groups}
      </Groups>
    </vbox:Machine>
  </VirtualSystem>
</Envelope>
"""

OVF2 = """<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/2" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/2" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:epasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_EthernetPortAllocationSettingData" xmlns:sasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_StorageAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" ovf:version="2.0">
  <References>
    <File ovf:id="file1" ovf:href="{disk}" ovf:size="{size}"/>{iso_ref}
  </References>
  <DiskSection>
    <Info>Virtual disks</Info>
    <Disk ovf:diskId="vmdisk1" ovf:fileRef="file1" ovf:capacity="{capacity_mib}" ovf:capacityAllocationUnits="byte * 2^20" ovf:format="{format_uri}"/>
  </DiskSection>
  <NetworkSection>
    <Info>Networks</Info>
    <Network ovf:name="NAT"/>
    <Network ovf:name="Bridged"/>
  </NetworkSection>
  <VirtualSystem ovf:id="ovf2-vm">
    <Info>A virtual machine</Info>
    <Name>{name}</Name>
    <OperatingSystemSection ovf:id="{cim}">
      <Info>Guest OS</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware</Info>
      <Item>
        <rasd:ElementName>1 virtual CPU</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>1</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:ElementName>256 MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>256</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:ElementName>{ctl_name}</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>{ctl_sub}</rasd:ResourceSubType>
        <rasd:ResourceType>{ctl_type}</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:ElementName>ideController0</rasd:ElementName>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:ResourceSubType>PIIX4</rasd:ResourceSubType>
        <rasd:ResourceType>5</rasd:ResourceType>
      </Item>
      <StorageItem>
        <sasd:AddressOnParent>0</sasd:AddressOnParent>
        <sasd:ElementName>disk1</sasd:ElementName>
        <sasd:HostResource>ovf:/disk/vmdisk1</sasd:HostResource>
        <sasd:InstanceID>5</sasd:InstanceID>
        <sasd:Parent>3</sasd:Parent>
        <sasd:ResourceType>17</sasd:ResourceType>
      </StorageItem>
      <EthernetPortItem>
        <epasd:Connection>NAT</epasd:Connection>
        <epasd:ElementName>eth0</epasd:ElementName>
        <epasd:InstanceID>6</epasd:InstanceID>
        <epasd:ResourceSubType>virtio</epasd:ResourceSubType>
        <epasd:ResourceType>10</epasd:ResourceType>
      </EthernetPortItem>
      <EthernetPortItem>
        <epasd:Connection>Bridged</epasd:Connection>
        <epasd:ElementName>eth1</epasd:ElementName>
        <epasd:InstanceID>7</epasd:InstanceID>
        <epasd:ResourceSubType>E1000</epasd:ResourceSubType>
        <epasd:ResourceType>10</epasd:ResourceType>
      </EthernetPortItem>
      <Item>
        <rasd:ElementName>cdrom1</rasd:ElementName>{iso_res}
        <rasd:InstanceID>8</rasd:InstanceID>
        <rasd:Parent>4</rasd:Parent>
        <rasd:ResourceType>15</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:ElementName>floppy0</rasd:ElementName>
        <rasd:InstanceID>9</rasd:InstanceID>
        <rasd:ResourceType>14</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:ElementName>serial0</rasd:ElementName>
        <rasd:InstanceID>10</rasd:InstanceID>
        <rasd:ResourceType>21</rasd:ResourceType>
      </Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
"""


def opt(args, name, default=None):
    if name in args:
        i = args.index(name)
        value = args[i + 1]
        del args[i:i + 2]
        return value
    return default


def flag(args, name):
    if name in args:
        args.remove(name)
        return True
    return False


def virtual_size(path):
    import json
    import subprocess
    fmt = "vmdk" if path.endswith(".vmdk") else "vdi" if path.endswith(".vdi") else \
          "qcow2" if path.endswith(".qcow2") else "raw"
    run = subprocess.run(["qemu-img", "info", "--output=json", "-f", fmt, path],
                         capture_output=True)
    # A hostile image that qemu-img does not read (an extent outside): 64 MiB.
    return json.loads(run.stdout)["virtual-size"] if run.returncode == 0 else 64 << 20


def digest(algo, data):
    return hashlib.new(algo, data).hexdigest()


def main():
    args = sys.argv[1:]
    manifest_lie = flag(args, "--manifest-lie")
    doctype = flag(args, "--doctype")
    efi = flag(args, "--efi")
    virtio = flag(args, "--virtio")
    group = opt(args, "--group")
    name = opt(args, "--name")
    os_ids = opt(args, "--os")
    iso = opt(args, "--iso")
    kind = args[0]

    if kind == "tar":
        out = args[1]
        declared = None
        with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as tar:
            for spec in args[2:]:
                if "@" in spec:
                    member, target = spec.split("@", 1)
                    info = tarfile.TarInfo(member)
                    info.type = tarfile.SYMTYPE
                    info.linkname = target
                    tar.addfile(info)
                    continue
                member, source = spec.split("=", 1)
                if "!" in source:
                    source, declared = source.split("!", 1)
                data = open(source, "rb").read()
                info = tarfile.TarInfo(member)
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
        if declared is not None:
            # The last member's header declares more than the archive holds.
            blob = bytearray(open(out, "rb").read())
            pos = 0
            last = 0
            while pos + 512 <= len(blob) and any(blob[pos:pos + 512]):
                last = pos
                size = int(blob[pos + 124:pos + 136].strip(b" \0") or b"0", 8)
                pos += 512 + (size + 511) // 512 * 512
            blob[last + 124:last + 136] = b"%011o\0" % int(declared)
            blob[last + 148:last + 156] = b" " * 8
            blob[last + 148:last + 156] = b"%06o\0 " % sum(blob[last:last + 512])
            del blob[pos:]
            open(out, "wb").write(bytes(blob))
        return 0

    if kind == "vbox":
        out, disk = args[1], args[2]
        stem = os.path.splitext(os.path.basename(out))[0]
        disk_name = stem + "-disk001.vmdk"
        cim, vbox_os = (os_ids or "96:Debian_64").split(":", 1)
        groups = "" if group is None else '        <Group name="%s"/>' % group
        ovf = VBOX_OVF.format(disk=disk_name, capacity=virtual_size(disk), name=name or stem,
                              cim=cim, vbox_os=vbox_os, firmware="EFI" if efi else "BIOS",
                              groups=groups, iso_res="")
        if doctype:
            ovf = ovf.replace('<?xml version="1.0"?>\n',
                              '<?xml version="1.0"?>\n<!DOCTYPE Envelope [<!ENTITY e '
                              'SYSTEM "file:///etc/passwd">]>\n').replace(
                                  "<Info>A virtual machine</Info>", "<Info>&e;</Info>")
        ovf_bytes = ovf.encode()
        disk_bytes = open(disk, "rb").read()
        disk_sum = digest("sha256", disk_bytes)
        if manifest_lie:
            disk_sum = digest("sha256", disk_bytes + b"x")
        mf = "SHA256(%s.ovf)= %s\nSHA256(%s)= %s\n" % (stem, digest("sha256", ovf_bytes),
                                                      disk_name, disk_sum)
        with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as tar:
            for member, data in ((stem + ".ovf", ovf_bytes), (disk_name, disk_bytes),
                                 (stem + ".mf", mf.encode())):
                info = tarfile.TarInfo(member)
                info.size = len(data)
                info.mode = 0o600
                info.uname = info.gname = "vboxuser"
                tar.addfile(info, io.BytesIO(data))
        return 0

    if kind == "ovf2":
        out, disk, format_uri = args[1], args[2], args[3]
        directory = os.path.dirname(out)
        stem = os.path.splitext(os.path.basename(out))[0]
        disk_name = os.path.basename(disk)
        cim = (os_ids or "96:").split(":", 1)[0]
        ctl = ("virtioSCSI", "VirtioSCSI", 6) if virtio else ("sataController0", "AHCI", 20)
        iso_ref = iso_res = ""
        if iso is not None:
            iso_ref = '\n    <File ovf:id="file2" ovf:href="%s"/>' % os.path.basename(iso)
            iso_res = "\n        <rasd:HostResource>ovf:/file/file2</rasd:HostResource>"
        ovf = OVF2.format(disk=disk_name, size=os.path.getsize(disk),
                          capacity_mib=virtual_size(disk) >> 20, format_uri=format_uri,
                          name=name or stem, cim=cim, ctl_name=ctl[0], ctl_sub=ctl[1],
                          ctl_type=ctl[2], iso_ref=iso_ref, iso_res=iso_res)
        open(out, "w").write(ovf)
        mf = "SHA1(%s.ovf)= %s\nSHA1(%s)= %s\n" % (
            stem, digest("sha1", ovf.encode()), disk_name,
            digest("sha1", open(disk, "rb").read() + (b"x" if manifest_lie else b"")))
        if iso is not None:
            mf += "SHA1(%s)= %s\n" % (os.path.basename(iso), digest("sha1", open(iso, "rb").read()))
        open(os.path.join(directory, stem + ".mf"), "w").write(mf)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
