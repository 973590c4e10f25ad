/* SPDX-License-Identifier: MIT */
/*
 * Synthetic kernel images for the boot unit tests and the fuzz seeds: a bzImage with the real
 * setup header of Debian's 6.1.0-56-amd64 vmlinuz (bytes 0x1f1-0x26b, copied verbatim) or a
 * small made-up one, and ELF64 images with an optional Xen PVH note.
 */
#ifndef MICROVM_TEST_BOOT_IMAGES_H
#define MICROVM_TEST_BOOT_IMAGES_H

#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <asm/bootparam.h>

struct test_image {
	uint8_t *data;
	size_t size;
};

/* Debian linux-image-6.1.0-56-amd64 (6.1.192-2), /boot/vmlinuz-6.1.0-56-amd64, 0x1f1..0x26b. */
static const uint8_t debian61_setup_header[0x26c - 0x1f1] __attribute__((unused)) = {
	          0x27, 0x01, 0x00, 0x20, 0xd8, 0x07, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x55, 0xaa,
	0xeb, 0x6a, 0x48, 0x64, 0x72, 0x53, 0x0f, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0xc0, 0x42,
	0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xe0, 0x5b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x7f,
	0x00, 0x00, 0x20, 0x00, 0x01, 0x15, 0x7f, 0x00, 0xff, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xcc, 0x02, 0x00, 0x00, 0x70, 0xf0, 0x7b, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x80, 0xf9, 0x03, 0xb0, 0x8d, 0x7c, 0x00, 0x9c, 0x57, 0x7d, 0x00,
};

#define DEBIAN61_SIGNATURE_TAIL 1472	/* bytes after setup + syssize * 16 in the real file */

static inline struct setup_header *test_bz_hdr(struct test_image *img)
{
	return (struct setup_header *)(img->data + 0x1f1);
}

/* Fills the protected-mode part with a recognisable pattern. */
static inline void test_fill_pattern(uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)((i * 131 + seed) >> 3);
}

/* The real Debian header; file as long as the real one (setup, syssize * 16, signature tail). */
static inline struct test_image test_bzimage_debian(void)
{
	struct test_image img;
	struct setup_header h;
	size_t setup, pm;

	memcpy(&h, debian61_setup_header, sizeof(h));
	setup = (size_t)(h.setup_sects + 1) * 512;
	pm = (size_t)h.syssize * 16 + DEBIAN61_SIGNATURE_TAIL;
	img.size = setup + pm;
	img.data = calloc(1, img.size);
	memcpy(img.data + 0x1f1, debian61_setup_header, sizeof(debian61_setup_header));
	test_fill_pattern(img.data + setup, pm, 7);
	return img;
}

/*
 * A small realistic bzImage: 2.15 header like Debian's, 4 setup sectors, pm_size bytes of
 * kernel, init_size bytes needed from pref_address (16 MiB).
 */
static inline struct test_image test_bzimage_small(size_t pm_size, uint32_t init_size)
{
	struct test_image img;
	struct setup_header *h;

	img.size = 5 * 512 + pm_size;
	img.data = calloc(1, img.size);
	memcpy(img.data + 0x1f1, debian61_setup_header, sizeof(debian61_setup_header));
	h = test_bz_hdr(&img);
	h->setup_sects = 4;
	h->syssize = (uint32_t)(pm_size / 16);
	h->init_size = init_size;
	test_fill_pattern(img.data + 5 * 512, pm_size, 3);
	return img;
}

struct test_elf_opts {
	uint64_t paddr;		/* PT_LOAD physical and virtual address */
	uint64_t vaddr;
	uint64_t entry;		/* e_entry */
	uint32_t filesz, memsz;
	int pvh_desc_size;	/* 0: no PVH note, else 4 or 8 */
	uint64_t pvh_entry;
};

#define TEST_ELF_SEG_OFFSET 0x1000
#define TEST_ELF_NOTE_OFFSET 0x800

static inline struct test_elf_opts test_elf_defaults(void)
{
	return (struct test_elf_opts){
		.paddr = 0x100000, .vaddr = 0x100000, .entry = 0x100040,
		.filesz = 0x400, .memsz = 0x3000, .pvh_desc_size = 0, .pvh_entry = 0x100010,
	};
}

/* A "GNU" build-id note then, optionally, the Xen PVH entry note. Returns the bytes used. */
static inline size_t test_elf_notes(uint8_t *p, const struct test_elf_opts *o)
{
	Elf64_Nhdr gnu = { .n_namesz = 4, .n_descsz = 8, .n_type = NT_GNU_BUILD_ID };
	Elf64_Nhdr xen = { .n_namesz = 4, .n_descsz = (Elf64_Word)o->pvh_desc_size, .n_type = 18 };
	size_t off = 0;

	memcpy(p, &gnu, sizeof(gnu));
	memcpy(p + 12, "GNU", 4);
	memcpy(p + 16, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	off = 24;
	if (o->pvh_desc_size) {
		memcpy(p + off, &xen, sizeof(xen));
		memcpy(p + off + 12, "Xen", 4);
		memcpy(p + off + 16, &o->pvh_entry, o->pvh_desc_size == 8 ? 8 : 4);
		off += 16 + (size_t)((o->pvh_desc_size + 3) & ~3);
	}
	return off;
}

/* ELF64 x86_64 ET_EXEC: phdr 0 PT_LOAD, phdr 1 PT_NOTE. */
static inline struct test_image test_elf(const struct test_elf_opts *o)
{
	struct test_image img;
	Elf64_Ehdr *eh;
	Elf64_Phdr ph[2];

	img.size = TEST_ELF_SEG_OFFSET + o->filesz;
	img.data = calloc(1, img.size);
	eh = (Elf64_Ehdr *)img.data;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = o->entry;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;
	memset(ph, 0, sizeof(ph));
	ph[0] = (Elf64_Phdr){
		.p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X, .p_offset = TEST_ELF_SEG_OFFSET,
		.p_vaddr = o->vaddr, .p_paddr = o->paddr, .p_filesz = o->filesz, .p_memsz = o->memsz,
		.p_align = 0x1000,
	};
	ph[1] = (Elf64_Phdr){
		.p_type = PT_NOTE, .p_flags = PF_R, .p_offset = TEST_ELF_NOTE_OFFSET, .p_align = 4,
	};
	ph[1].p_filesz = test_elf_notes(img.data + TEST_ELF_NOTE_OFFSET, o);
	memcpy(img.data + eh->e_phoff, ph, sizeof(ph));
	test_fill_pattern(img.data + TEST_ELF_SEG_OFFSET, o->filesz, 11);
	return img;
}

static inline Elf64_Phdr *test_elf_phdr(struct test_image *img, unsigned int i)
{
	return (Elf64_Phdr *)(img->data + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr));
}

static inline void test_image_free(struct test_image *img)
{
	free(img->data);
	img->data = NULL;
}

#endif
