// SPDX-License-Identifier: MIT
/* arm64 boot setup: Image (+gzip), initrd, device tree (boot.h). */
#include "arch/arm64/boot/boot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arm64/fdt.h"
#include "arch/arm64/image.h"
#include "arch/arm64/layout.h"

#define SZ_2M 0x200000ULL
#define INFLATED_MAX (256ULL << 20)

static int load_image(struct guest_mem *gm, const uint8_t *data, size_t size,
		      struct boot_entry *out, char *err, size_t errlen)
{
	struct image_info info;
	uint64_t ram = gm->regions[0].size, base = gm->regions[0].gpa;
	void *dst;

	if (image_parse(data, size, &info, err, errlen))
		return -1;
	/* the kernel, its bss and the last 2 MiB (DTB) must fit */
	if (info.text_offset + info.image_size + SZ_2M > ram) {
		snprintf(err, errlen, "arm64 Image needs %llu MiB from the start of RAM, RAM is %llu MiB",
			 (unsigned long long)((info.text_offset + info.image_size + SZ_2M) >> 20),
			 (unsigned long long)(ram >> 20));
		return -1;
	}
	dst = guest_mem_ptr(gm, base + info.text_offset, info.file_size);
	if (!dst) {
		snprintf(err, errlen, "arm64 Image does not fit in RAM");
		return -1;
	}
	memcpy(dst, data, info.file_size);
	out->protocol = BOOT_ARM64_IMAGE;
	out->rip = base + info.text_offset;
	out->kernel_start = out->rip;
	out->kernel_end = out->rip + info.image_size;
	return 0;
}

int boot_setup(struct guest_mem *gm, const struct boot_config *bc, struct boot_entry *out,
	       char *err, size_t errlen)
{
	uint64_t base = gm->regions[0].gpa, ram = gm->regions[0].size, top, mmio64_end;
	struct fdt_desc d = { 0 };
	void *dtb;
	int n;

	memset(out, 0, sizeof(*out));
	if (gm->nr_regions != 1 || base != LAYOUT_RAM_BASE) {
		snprintf(err, errlen, "arm64 RAM must be one region at 0x%llx",
			 (unsigned long long)LAYOUT_RAM_BASE);
		return -1;
	}
	if (image_is_gzip(bc->kernel, bc->kernel_size)) {
		uint8_t *img;
		size_t len;
		int ret;

		if (image_gunzip(bc->kernel, bc->kernel_size, INFLATED_MAX < ram ? INFLATED_MAX : ram,
				 &img, &len, err, errlen))
			return -1;
		ret = load_image(gm, img, len, out, err, errlen);
		free(img);
		if (ret)
			return -1;
	} else if (load_image(gm, bc->kernel, bc->kernel_size, out, err, errlen)) {
		return -1;
	}
	/* DTB in the last 2 MiB of RAM, the initrd page aligned right below it */
	out->dtb_addr = base + ram - LAYOUT_DTB_MAX;
	top = out->dtb_addr;
	if (bc->initrd_size) {
		void *p;

		if (bc->initrd_size > top - out->kernel_end) {
			snprintf(err, errlen, "initrd of %zu bytes does not fit in RAM after the kernel",
				 bc->initrd_size);
			return -1;
		}
		out->initrd_addr = (top - bc->initrd_size) & ~0xfffULL;
		out->initrd_size = bc->initrd_size;
		p = guest_mem_ptr(gm, out->initrd_addr, bc->initrd_size);
		if (!p || out->initrd_addr < out->kernel_end) {
			snprintf(err, errlen, "initrd does not fit in RAM");
			return -1;
		}
		memcpy(p, bc->initrd, bc->initrd_size);
	}
	d.ram_base = base;
	d.ram_size = ram;
	d.nr_vcpus = bc->nr_vcpus;
	d.cmdline = bc->cmdline;
	d.initrd_start = out->initrd_addr;
	d.initrd_size = out->initrd_size;
	/* the 64-bit window by pci_mmio64_window's rule (pci/pci_window.c), which KVM's IPA limit ends */
	d.mmio64_base = (guest_mem_end(gm) + LAYOUT_PCI_MMIO64_ALIGN - 1) & ~(LAYOUT_PCI_MMIO64_ALIGN - 1);
	if (d.mmio64_base < LAYOUT_HIGH_RAM_START)
		d.mmio64_base = LAYOUT_HIGH_RAM_START;
	mmio64_end = d.mmio64_base + LAYOUT_PCI_MMIO64_SIZE;
	if (mmio64_end > 1ULL << LAYOUT_IPA_BITS)
		mmio64_end = 1ULL << LAYOUT_IPA_BITS;
	d.mmio64_size = mmio64_end > d.mmio64_base ? mmio64_end - d.mmio64_base : 0;
	dtb = guest_mem_ptr(gm, out->dtb_addr, LAYOUT_DTB_MAX);
	if (!dtb) {
		snprintf(err, errlen, "no room for the device tree");
		return -1;
	}
	n = fdt_build(dtb, LAYOUT_DTB_MAX, &d, err, errlen);
	return n < 0 ? -1 : 0;
}
