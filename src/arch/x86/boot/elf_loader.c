// SPDX-License-Identifier: MIT
/*
 * ELF64 x86_64 kernels: vmlinux (64-bit entry with a zero page) or any ELF carrying a Xen PVH
 * entry note (XEN_ELFNOTE_PHYS32_ENTRY: 32-bit entry with hvm_start_info). Every header field is
 * checked against the file and guest RAM before anything is copied.
 */
#include <elf.h>
#include <string.h>

#include "arch/x86/layout.h"
#include "arch/x86/boot/loader.h"

#define ELF_MAX_PHDRS 128
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define NOTE_NAME_XEN "Xen"

bool elf_detect(const uint8_t *k, size_t size)
{
	return size >= SELFMAG && memcmp(k, ELFMAG, SELFMAG) == 0;
}

/* Program header i, copied (the file buffer may be unaligned). */
static Elf64_Phdr elf_phdr(const struct boot_config *bc, const Elf64_Ehdr *eh, unsigned int i)
{
	Elf64_Phdr ph;

	memcpy(&ph, bc->kernel + eh->e_phoff + (uint64_t)i * sizeof(Elf64_Phdr), sizeof(ph));
	return ph;
}

static int check_ident(const Elf64_Ehdr *eh, char *err, size_t errlen)
{
	const unsigned char *id = eh->e_ident;

	if (id[EI_CLASS] != ELFCLASS64)
		return err_fmt(err, errlen, -1, "ELF class %u is not supported (need ELFCLASS64)",
				id[EI_CLASS]);
	if (id[EI_DATA] != ELFDATA2LSB)
		return err_fmt(err, errlen, -1, "ELF data encoding %u is not little-endian", id[EI_DATA]);
	if (id[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return err_fmt(err, errlen, -1, "ELF version %u/%u is not EV_CURRENT", id[EI_VERSION],
				eh->e_version);
	if (eh->e_machine != EM_X86_64)
		return err_fmt(err, errlen, -1, "ELF machine %u is not x86_64 (%u)", eh->e_machine,
				EM_X86_64);
	if (eh->e_type != ET_EXEC)
		return err_fmt(err, errlen, -1, "ELF type %u is not an executable (ET_EXEC)", eh->e_type);
	return 0;
}

static int check_ehdr(const struct boot_config *bc, const Elf64_Ehdr *eh, char *err, size_t errlen)
{
	if (bc->kernel_size < sizeof(*eh))
		return err_fmt(err, errlen, -1, "truncated ELF header: file has %zu bytes, need %zu",
				bc->kernel_size, sizeof(*eh));
	if (check_ident(eh, err, errlen))
		return -1;
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return err_fmt(err, errlen, -1, "ELF e_phentsize %u is not %zu", eh->e_phentsize,
				sizeof(Elf64_Phdr));
	if (eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHDRS)
		return err_fmt(err, errlen, -1, "ELF has %u program headers (need 1 to %u)", eh->e_phnum,
				ELF_MAX_PHDRS);
	if (eh->e_phoff > bc->kernel_size ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > bc->kernel_size - eh->e_phoff)
		return err_fmt(err, errlen, -1,
				"ELF program headers at offset 0x%llx (%u entries) extend past the end of the file (%zu bytes)",
				(unsigned long long)eh->e_phoff, eh->e_phnum, bc->kernel_size);
	return 0;
}

static int check_file_range(const struct boot_config *bc, const Elf64_Phdr *ph, unsigned int i,
			    char *err, size_t errlen)
{
	if (ph->p_offset > bc->kernel_size || ph->p_filesz > bc->kernel_size - ph->p_offset)
		return err_fmt(err, errlen, -1,
				"ELF segment %u (offset 0x%llx, %llu bytes) extends past the end of the file (%zu bytes)",
				i, (unsigned long long)ph->p_offset,
				(unsigned long long)ph->p_filesz, bc->kernel_size);
	return 0;
}

static int check_load(const struct guest_mem *gm, const struct boot_config *bc,
		      const Elf64_Phdr *ph, unsigned int i, char *err, size_t errlen)
{
	uint64_t low_end = boot_low_ram_end(gm);

	if (ph->p_filesz > ph->p_memsz)
		return err_fmt(err, errlen, -1, "ELF segment %u has p_filesz %llu > p_memsz %llu", i,
				(unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
	if (check_file_range(bc, ph, i, err, errlen))
		return -1;
	if (ph->p_paddr < LAYOUT_HIGH_MEM_START)
		return err_fmt(err, errlen, -1,
				"ELF segment %u at 0x%llx overlaps the boot structures below 1 MiB", i,
				(unsigned long long)ph->p_paddr);
	if (ph->p_paddr > low_end || ph->p_memsz > low_end - ph->p_paddr)
		return err_fmt(err, errlen, -1,
				"ELF segment %u [0x%llx, +0x%llx) is outside guest RAM below 4 GiB (ends at 0x%llx)",
				i, (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz,
				(unsigned long long)low_end);
	return 0;
}

static bool ranges_overlap(const Elf64_Phdr *a, const Elf64_Phdr *b)
{
	return a->p_paddr < b->p_paddr + b->p_memsz && b->p_paddr < a->p_paddr + a->p_memsz;
}

static bool is_load(const Elf64_Phdr *ph)
{
	return ph->p_type == PT_LOAD && ph->p_memsz;
}

/* Validates every PT_LOAD and records the physical range they span. */
static int check_segments(const struct guest_mem *gm, const struct boot_config *bc,
			  const Elf64_Ehdr *eh, struct kernel_image *ki, char *err, size_t errlen)
{
	uint64_t start = UINT64_MAX, end = 0;

	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph = elf_phdr(bc, eh, i);

		if (!is_load(&ph))
			continue;
		if (check_load(gm, bc, &ph, i, err, errlen))
			return -1;
		for (unsigned int j = 0; j < i; j++) {
			Elf64_Phdr other = elf_phdr(bc, eh, j);

			if (is_load(&other) && ranges_overlap(&ph, &other))
				return err_fmt(err, errlen, -1, "ELF segments %u and %u overlap", j, i);
		}
		if (ph.p_paddr < start)
			start = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > end)
			end = ph.p_paddr + ph.p_memsz;
	}
	if (end == 0)
		return err_fmt(err, errlen, -1, "ELF has no loadable segment");
	ki->start = start;
	ki->end = end;
	return 0;
}

static bool in_segment(const struct boot_config *bc, const Elf64_Ehdr *eh, uint64_t paddr)
{
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph = elf_phdr(bc, eh, i);

		if (is_load(&ph) && paddr >= ph.p_paddr && paddr - ph.p_paddr < ph.p_memsz)
			return true;
	}
	return false;
}

/* e_entry: a physical address inside a segment (vmlinux), or a virtual one to translate. */
static int linux64_entry(const struct boot_config *bc, const Elf64_Ehdr *eh,
			 struct kernel_image *ki, char *err, size_t errlen)
{
	uint64_t e = eh->e_entry;

	if (in_segment(bc, eh, e)) {
		ki->entry = e;
		return 0;
	}
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph = elf_phdr(bc, eh, i);

		if (is_load(&ph) && e >= ph.p_vaddr && e - ph.p_vaddr < ph.p_memsz) {
			ki->entry = ph.p_paddr + (e - ph.p_vaddr);
			return 0;
		}
	}
	return err_fmt(err, errlen, -1, "ELF entry point 0x%llx is outside every loadable segment",
			(unsigned long long)e);
}

static uint64_t note_align(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

/*
 * One note at n (avail bytes left): 1 with *used set, 0 if malformed, -1 for a bad PVH note
 * (message in err). is_pvh and value report a XEN_ELFNOTE_PHYS32_ENTRY note.
 */
static int parse_note(const uint8_t *n, uint64_t avail, uint64_t align, uint64_t *used,
		      bool *is_pvh, uint64_t *value, char *err, size_t errlen)
{
	uint64_t name_sz, desc_sz;
	uint32_t v32;
	Elf64_Nhdr nh;

	if (avail < sizeof(nh))
		return 0;
	memcpy(&nh, n, sizeof(nh));
	name_sz = note_align(nh.n_namesz, align);
	desc_sz = note_align(nh.n_descsz, align);
	if (name_sz > avail - sizeof(nh) || desc_sz > avail - sizeof(nh) - name_sz)
		return 0;
	*used = sizeof(nh) + name_sz + desc_sz;
	*is_pvh = nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == sizeof(NOTE_NAME_XEN) &&
		  !memcmp(n + sizeof(nh), NOTE_NAME_XEN, sizeof(NOTE_NAME_XEN));
	if (!*is_pvh)
		return 1;
	n += sizeof(nh) + name_sz;
	if (nh.n_descsz == 4) {
		memcpy(&v32, n, 4);
		*value = v32;
	} else if (nh.n_descsz == 8) {
		memcpy(value, n, 8);
	} else {
		return err_fmt(err, errlen, -1, "Xen PVH entry note has a %u-byte value (need 4 or 8)",
				nh.n_descsz);
	}
	return 1;
}

/* Looks for XEN_ELFNOTE_PHYS32_ENTRY in the PT_NOTE segments. 1 found, 0 not, -1 error. */
static int find_pvh_note(const struct boot_config *bc, const Elf64_Ehdr *eh, uint64_t *entry,
			 char *err, size_t errlen)
{
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph = elf_phdr(bc, eh, i);
		uint64_t off = 0, align = ph.p_align == 8 ? 8 : 4;

		if (ph.p_type != PT_NOTE)
			continue;
		if (check_file_range(bc, &ph, i, err, errlen))
			return -1;
		while (off < ph.p_filesz) {
			bool is_pvh = false;
			uint64_t used = 0;
			int ret = parse_note(bc->kernel + ph.p_offset + off, ph.p_filesz - off,
					     align, &used, &is_pvh, entry, err, errlen);

			if (ret < 0)
				return -1;
			if (ret == 0)
				return err_fmt(err, errlen, -1, "malformed ELF note at file offset 0x%llx",
						(unsigned long long)(ph.p_offset + off));
			if (is_pvh)
				return 1;
			off += used;
		}
	}
	return 0;
}

static int pvh_entry(const struct boot_config *bc, const Elf64_Ehdr *eh, uint64_t entry,
		     struct kernel_image *ki, char *err, size_t errlen)
{
	if (!in_segment(bc, eh, entry))
		return err_fmt(err, errlen, -1, "PVH entry point 0x%llx is outside every loadable segment",
				(unsigned long long)entry);
	ki->entry = entry;
	ki->protocol = BOOT_PVH;
	return 0;
}

int elf_parse(const struct guest_mem *gm, const struct boot_config *bc, struct kernel_image *ki,
	      char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	uint64_t entry = 0;
	int pvh;

	memset(&eh, 0, sizeof(eh));
	memcpy(&eh, bc->kernel, bc->kernel_size < sizeof(eh) ? bc->kernel_size : sizeof(eh));
	if (check_ehdr(bc, &eh, err, errlen) || check_segments(gm, bc, &eh, ki, err, errlen))
		return -1;
	pvh = find_pvh_note(bc, &eh, &entry, err, errlen);
	if (pvh < 0)
		return -1;
	if (pvh) {
		if (pvh_entry(bc, &eh, entry, ki, err, errlen))
			return -1;
	} else {
		if (linux64_entry(bc, &eh, ki, err, errlen))
			return -1;
		ki->protocol = BOOT_LINUX64;
	}
	ki->initrd_limit = boot_low_ram_end(gm);
	ki->cmdline_max = LAYOUT_CMDLINE_MAX - 1;
	return 0;
}

int elf_load(struct guest_mem *gm, const struct boot_config *bc)
{
	Elf64_Ehdr eh;

	memcpy(&eh, bc->kernel, sizeof(eh));
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph = elf_phdr(bc, &eh, i);
		uint8_t *dst;

		if (!is_load(&ph))
			continue;
		dst = guest_mem_ptr(gm, ph.p_paddr, ph.p_memsz);
		if (!dst)
			return -1;
		memcpy(dst, bc->kernel + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	return 0;
}
