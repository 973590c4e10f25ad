// SPDX-License-Identifier: MIT
/*
 * Unit tests: the ACPI tables parsed back (checksums, lengths, every field the guest reads),
 * the AML encoder's PkgLength forms, and the tables disassembled by `iasl -d` (acpica-tools)
 * with no error or warning; the disassembly must show the DSDT's devices and resources.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi/acpi.h"
#include "acpi/acpi_defs.h"
#include "acpi/aml.h"
#include "legacy/acpi_pm.h"
#include "arch/x86/layout.h"
#include "util/log.h"
#include "kvm/vm.h"

#define BASE 0xe0000ULL
#define CAP 0x10000

static uint8_t buf[CAP];

static struct acpi_machine machine(unsigned int nr_vcpus)
{
	return (struct acpi_machine){
		.nr_vcpus = nr_vcpus, .lapic_addr = 0xfee00000, .ioapic_addr = 0xfec00000,
		.mmio32_base = 0xc0000000, .mmio32_size = 0x20000000,
		.mmio64_base = 0x140000000ULL, .mmio64_size = 0x4000000000ULL,
		.ecam_base = 0xe0000000, .ecam_bus_end = 0, .pci_cfg_port = 0xcf8,
		.serial_port = 0x3f8, .serial_irq = 4,
		.sleep_ctl_port = 0x600, .sleep_sts_port = 0x601, .reset_port = 0x602,
		.power_button_gsi = 9,
	};
}

static uint8_t sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return s;
}

/* The table at guest address gpa, checked: inside the buffer, signature, length, checksum. */
static const void *table(uint64_t gpa, const char *sig, size_t min_len)
{
	const struct acpi_header *h;

	ck_assert_msg(gpa >= BASE && gpa - BASE + sizeof(*h) <= CAP, "%s at 0x%llx", sig,
		      (unsigned long long)gpa);
	h = (const void *)(buf + (gpa - BASE));
	ck_assert_msg(!memcmp(h->signature, sig, 4), "want %s, got %.4s", sig, h->signature);
	ck_assert_uint_ge(h->length, min_len);
	ck_assert_uint_le(gpa - BASE + h->length, CAP);
	ck_assert_msg(sum(h, h->length) == 0, "%s checksum", sig);
	ck_assert(!memcmp(h->oem_id, ACPI_OEM_ID, 6));
	return h;
}

static const struct acpi_rsdp *rsdp(void)
{
	const struct acpi_rsdp *r = (const void *)buf;

	ck_assert(!memcmp(r->signature, "RSD PTR ", 8));
	ck_assert_uint_eq(sum(r, 20), 0);
	ck_assert_uint_eq(sum(r, sizeof(*r)), 0);
	ck_assert_uint_eq(r->revision, 2);
	ck_assert_uint_eq(r->length, 36);
	ck_assert_uint_eq(r->rsdt_address, 0);
	return r;
}

/* XSDT entry whose table has signature sig (exactly one). */
static uint64_t xsdt_find(const char *sig)
{
	const struct acpi_header *x = table(rsdp()->xsdt_address, "XSDT", 36);
	unsigned int n = (x->length - 36) / 8, found = 0;
	uint64_t gpa = 0;

	ck_assert_uint_eq((x->length - 36) % 8, 0);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t e;

		memcpy(&e, (const uint8_t *)x + 36 + 8 * i, 8);
		ck_assert(e >= BASE && e - BASE < CAP);
		if (!memcmp(buf + (e - BASE), sig, 4)) {
			gpa = e;
			found++;
		}
	}
	ck_assert_msg(found == 1, "XSDT lists %s %u times", sig, found);
	return gpa;
}

static long build(unsigned int nr_vcpus)
{
	struct acpi_machine m = machine(nr_vcpus);
	char err[128];

	memset(buf, 0xa5, sizeof(buf));
	return acpi_build(buf, CAP, BASE, &m, err, sizeof(err));
}

START_TEST(rsdp_xsdt)
{
	ck_assert_int_gt(build(1), 0);
	rsdp();
	ck_assert_uint_eq(((const struct acpi_header *)table(rsdp()->xsdt_address, "XSDT", 36))->length,
			  36 + 3 * 8);
	xsdt_find("FACP");
	xsdt_find("APIC");
	xsdt_find("MCFG");
}
END_TEST

static void check_gas(const struct acpi_gas *g, uint16_t port)
{
	ck_assert_uint_eq(g->space_id, ACPI_GAS_IO);
	ck_assert_uint_eq(g->bit_width, 8);
	ck_assert_uint_eq(g->bit_offset, 0);
	ck_assert_uint_eq(g->access_size, ACPI_GAS_ACCESS_BYTE);
	ck_assert_uint_eq(g->address, port);
}

START_TEST(fadt)
{
	const struct acpi_fadt *f;

	ck_assert_int_gt(build(1), 0);
	f = table(xsdt_find("FACP"), "FACP", sizeof(*f));
	ck_assert_uint_eq(f->header.length, 276);
	ck_assert_uint_eq(f->header.revision, 6);
	ck_assert_uint_eq(f->minor_revision, 5);
	ck_assert_uint_eq(f->flags & ACPI_FADT_HW_REDUCED, ACPI_FADT_HW_REDUCED);
	ck_assert_uint_eq(f->flags & ACPI_FADT_RESET_REGISTER, ACPI_FADT_RESET_REGISTER);
	/* No i8042, no legacy (ISA PnP) devices, no VGA, no CMOS RTC; MSI works. */
	ck_assert_uint_eq(f->boot_flags, ACPI_IAPC_NO_VGA | ACPI_IAPC_NO_CMOS_RTC);
	ck_assert_uint_eq(f->x_dsdt, f->dsdt);
	table(f->x_dsdt, "DSDT", 36);
	ck_assert_uint_eq(f->facs, 0);
	ck_assert_uint_eq(f->x_facs, 0);
	ck_assert_uint_eq(f->sci_interrupt, 0);
	ck_assert_uint_eq(f->smi_command, 0);
	ck_assert_uint_eq(f->pm1a_event_block | f->pm1a_control_block | f->pm_timer_block, 0);
	ck_assert_uint_eq(f->x_pm1a_control_block.address | f->x_pm_timer_block.address, 0);
	check_gas(&f->reset_register, 0x602);
	ck_assert_uint_eq(f->reset_value, ACPI_RESET_VALUE);
	check_gas(&f->sleep_control, 0x600);
	check_gas(&f->sleep_status, 0x601);
}
END_TEST

static void check_madt(unsigned int nr)
{
	const struct acpi_madt *t;
	const uint8_t *p, *end;
	unsigned int lapics = 0, ioapics = 0, isos = 0, nmis = 0;

	ck_assert_int_gt(build(nr), 0);
	t = table(xsdt_find("APIC"), "APIC", sizeof(*t));
	ck_assert_uint_eq(t->header.revision, 5);
	ck_assert_uint_eq(t->lapic_address, 0xfee00000);
	ck_assert_uint_eq(t->flags, ACPI_MADT_PCAT_COMPAT);
	p = (const uint8_t *)(t + 1);
	end = (const uint8_t *)t + t->header.length;
	while (p < end) {
		ck_assert_uint_ge(p[1], 2);
		ck_assert(p + p[1] <= end);
		switch (p[0]) {
		case ACPI_MADT_LAPIC: {
			const struct acpi_madt_lapic *l = (const void *)p;

			ck_assert_uint_eq(l->length, 8);
			ck_assert_uint_eq(l->processor_id, lapics);
			ck_assert_uint_eq(l->apic_id, lapics);
			ck_assert_uint_eq(l->flags, ACPI_MADT_ENABLED);
			lapics++;
			break;
		}
		case ACPI_MADT_IOAPIC: {
			const struct acpi_madt_ioapic *io = (const void *)p;

			ck_assert_uint_eq(io->length, 12);
			ck_assert_uint_eq(io->id, nr);
			ck_assert_uint_eq(io->address, 0xfec00000);
			ck_assert_uint_eq(io->gsi_base, 0);
			ioapics++;
			break;
		}
		case ACPI_MADT_INT_OVERRIDE: {
			const struct acpi_madt_int_override *o = (const void *)p;

			/* The MP table's routing: only the PIT moves (IRQ0 -> pin 2), edge/high. */
			ck_assert_uint_eq(o->length, 10);
			ck_assert_uint_eq(o->bus, 0);
			ck_assert_uint_eq(o->source_irq, 0);
			ck_assert_uint_eq(o->gsi, 2);
			ck_assert_uint_eq(o->flags, 0);
			isos++;
			break;
		}
		case ACPI_MADT_LAPIC_NMI: {
			const struct acpi_madt_lapic_nmi *n = (const void *)p;

			ck_assert_uint_eq(n->length, 6);
			ck_assert_uint_eq(n->processor_id, 0xff);
			ck_assert_uint_eq(n->lint, 1);
			nmis++;
			break;
		}
		default:
			ck_abort_msg("unexpected MADT entry type %u", p[0]);
		}
		p += p[1];
	}
	ck_assert(p == end);
	ck_assert_uint_eq(lapics, nr);
	ck_assert_uint_eq(ioapics, 1);
	ck_assert_uint_eq(isos, 1);
	ck_assert_uint_eq(nmis, 1);
}

START_TEST(madt_1) { check_madt(1); }
END_TEST
START_TEST(madt_4) { check_madt(4); }
END_TEST
START_TEST(madt_254) { check_madt(254); }
END_TEST

START_TEST(mcfg)
{
	const struct acpi_mcfg *t;
	struct acpi_mcfg_alloc a;

	ck_assert_int_gt(build(1), 0);
	t = table(xsdt_find("MCFG"), "MCFG", sizeof(*t) + sizeof(a));
	ck_assert_uint_eq(t->header.length, sizeof(*t) + sizeof(a));
	memcpy(&a, t + 1, sizeof(a));
	ck_assert_uint_eq(a.address, 0xe0000000);
	ck_assert_uint_eq(a.segment, 0);
	ck_assert_uint_eq(a.start_bus, 0);
	ck_assert_uint_eq(a.end_bus, 0);
}
END_TEST

static bool contains(const uint8_t *p, size_t len, const void *needle, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (!memcmp(p + i, needle, n))
			return true;
	return false;
}

START_TEST(dsdt_bytes)
{
	const struct acpi_fadt *f;
	const struct acpi_header *d;
	/* Name (\_S5_, Package (2) { 5, 0 }) */
	static const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x05, 0x00 };
	/* Name (_HID, EisaId ("PNP0A08")) and ("PNP0501") */
	static const uint8_t pci_hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x08 };
	static const uint8_t com_hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01 };
	/* IRQNoFlags () {4}; IO (Decode16, 0x3f8, 0x3f8, 1, 8) */
	static const uint8_t irq4[] = { 0x22, 0x10, 0x00 };
	static const uint8_t com_io[] = { 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08 };

	ck_assert_int_gt(build(1), 0);
	f = table(xsdt_find("FACP"), "FACP", sizeof(*f));
	d = table(f->x_dsdt, "DSDT", 36);
	ck_assert_uint_eq(d->revision, 2);
	ck_assert(contains((const uint8_t *)d, d->length, s5, sizeof(s5)));
	ck_assert(contains((const uint8_t *)d, d->length, pci_hid, sizeof(pci_hid)));
	ck_assert(contains((const uint8_t *)d, d->length, com_hid, sizeof(com_hid)));
	ck_assert(contains((const uint8_t *)d, d->length, irq4, sizeof(irq4)));
	ck_assert(contains((const uint8_t *)d, d->length, com_io, sizeof(com_io)));
}
END_TEST

START_TEST(errors)
{
	struct acpi_machine m = machine(1);
	char err[128] = "";

	m.nr_vcpus = 0;
	ck_assert_int_eq(acpi_build(buf, CAP, BASE, &m, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "vCPUs"));
	m.nr_vcpus = ACPI_MAX_VCPUS + 1;
	ck_assert_int_eq(acpi_build(buf, CAP, BASE, &m, err, sizeof(err)), -1);
	m = machine(1);
	ck_assert_int_eq(acpi_build(buf, CAP, BASE + 8, &m, err, sizeof(err)), -1);
	m.serial_irq = 16;
	ck_assert_int_eq(acpi_build(buf, CAP, BASE, &m, err, sizeof(err)), -1);
	m = machine(254);
	for (size_t cap = 0; cap < 1024; cap += 37)
		ck_assert_int_eq(acpi_build(buf, cap, BASE, &m, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "do not fit"));
}
END_TEST

/* PkgLength: 1 byte up to 63, 2 bytes up to 4095, 3 bytes beyond; BufferSize patched. */
START_TEST(aml_pkglength)
{
	static uint8_t out[8192];
	struct aml a;
	long len;

	aml_init(&a, out, sizeof(out));
	aml_package(&a, 61);
	for (int i = 0; i < 61; i++)
		aml_integer(&a, 0);
	aml_close(&a);
	ck_assert_int_eq(aml_finish(&a), 1 + 1 + 1 + 61);
	ck_assert_uint_eq(out[1], 63);

	aml_init(&a, out, sizeof(out));
	aml_package(&a, 62);
	for (int i = 0; i < 62; i++)
		aml_integer(&a, 0);
	aml_close(&a);
	ck_assert_int_eq(aml_finish(&a), 1 + 2 + 1 + 62);
	/* 65 = 0x41: lead byte 0x40 | 1, then 0x04 */
	ck_assert_uint_eq(out[1], 0x41);
	ck_assert_uint_eq(out[2], 0x04);

	aml_init(&a, out, sizeof(out));
	aml_scope(&a, "\\_SB_");
	for (int i = 0; i < 1000; i++)
		aml_integer(&a, 0x12345678);	/* 5 bytes each */
	aml_close(&a);
	len = aml_finish(&a);
	ck_assert_int_eq(len, 1 + 3 + 5 + 5000);
	/* 5008 = 0x1390: lead 0x80 | 0x0, 0x39, 0x01 */
	ck_assert_uint_eq(out[1], 0x80);
	ck_assert_uint_eq(out[2], 0x39);
	ck_assert_uint_eq(out[3], 0x01);
	ck_assert_uint_eq(out[4], '\\');

	aml_init(&a, out, sizeof(out));
	aml_resource_template(&a);
	aml_res_irq(&a, 4);
	aml_close(&a);
	/* Buffer (0x05) { 0x22 0x10 0x00 0x79 0x00 } */
	static const uint8_t want[] = { 0x11, 0x09, 0x0b, 0x05, 0x00, 0x22, 0x10, 0x00, 0x79, 0x00 };
	ck_assert_int_eq(aml_finish(&a), sizeof(want));
	ck_assert(!memcmp(out, want, sizeof(want)));

	/* Overflow and unbalanced objects are errors, never a truncated table. */
	aml_init(&a, out, 8);
	aml_scope(&a, "\\_SB_");
	aml_close(&a);
	ck_assert_int_eq(aml_finish(&a), -1);
	aml_init(&a, out, sizeof(out));
	aml_device(&a, "DEV0");
	ck_assert_int_eq(aml_finish(&a), -1);
	aml_close(&a);
	aml_close(&a);
	ck_assert_int_eq(aml_finish(&a), -1);
}
END_TEST

static bool pm_write(uint16_t port, uint8_t v)
{
	struct vm vm;
	bool stopped;

	ck_assert_int_eq(vm_init_harness(&vm, 16 << 20), 0);
	ck_assert_int_eq(acpi_pm_init(&vm), 0);
	ck_assert(bus_access(&vm.pio_bus, port, &v, 1, true));
	stopped = vm_stopping(&vm);
	if (stopped)
		ck_assert_int_eq(vm.exit_status, 0);
	vm_destroy(&vm);
	return stopped;
}

/* The FADT's ports: S5 with SLP_EN and the reset value stop the VM with 0, nothing else does. */
START_TEST(pm_ports)
{
	struct vm vm;
	uint8_t v = 0xff, stub[9];

	log_set_level(LOG_ERROR);
	ck_assert(pm_write(PORT_ACPI_SLEEP_CTL, ACPI_SLEEP_TYPE_S5 << 2 | ACPI_SLEEP_CTL_EN));
	ck_assert(!pm_write(PORT_ACPI_SLEEP_CTL, ACPI_SLEEP_TYPE_S5 << 2));	/* no SLP_EN */
	ck_assert(!pm_write(PORT_ACPI_SLEEP_CTL, 3 << 2 | ACPI_SLEEP_CTL_EN));	/* S3: not offered */
	ck_assert(pm_write(PORT_ACPI_RESET, ACPI_RESET_VALUE));
	ck_assert(!pm_write(PORT_ACPI_RESET, 1));
	ck_assert(!pm_write(PORT_ACPI_SLEEP_STS, 0xff));
	ck_assert(!pm_write(PORT_ACPI_SLEEP_CTL, ACPI_RESET_VALUE));

	/* Status reads 0; the reset vector writes the reset value to the reset port. */
	ck_assert_int_eq(vm_init_harness(&vm, 16 << 20), 0);
	ck_assert_int_eq(acpi_pm_init(&vm), 0);
	ck_assert(bus_access(&vm.pio_bus, PORT_ACPI_SLEEP_STS, &v, 1, false));
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(acpi_pm_reset_vector_setup(&vm), 0);
	ck_assert_int_eq(guest_mem_read(&vm.mem, LAYOUT_RESET_VECTOR, stub, sizeof(stub)), 0);
	ck_assert_uint_eq(stub[0], 0xb0);		/* mov al, imm8 */
	ck_assert_uint_eq(stub[1], ACPI_RESET_VALUE);
	ck_assert_uint_eq(stub[2], 0xba);		/* mov dx, imm16 */
	ck_assert_uint_eq(stub[3] | stub[4] << 8, PORT_ACPI_RESET);
	ck_assert_uint_eq(stub[5], 0xee);		/* out dx, al */
	vm_destroy(&vm);
}
END_TEST

static void write_file(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	static char text[1 << 16];
	size_t n;

	ck_assert_msg(f != NULL, "%s missing", path);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	return text;
}

/* Runs iasl; fails on a non-zero status or any error/warning line. Returns its output. */
static char *run_iasl(const char *dir, const char *args)
{
	char cmd[512], log[300];
	char *out, *line;
	int rc;

	snprintf(log, sizeof(log), "%s/iasl.log", dir);
	snprintf(cmd, sizeof(cmd), "cd %s && iasl %s >iasl.log 2>&1", dir, args);
	rc = system(cmd);
	out = read_text(log);
	ck_assert_msg(rc == 0, "iasl %s: status %d (is acpica-tools installed?):\n%s", args, rc, out);
	for (line = out; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *eol = strchr(line, '\n');
		size_t n = eol ? (size_t)(eol - line) : strlen(line);
		char l[512];

		snprintf(l, sizeof(l), "%.*s", (int)(n < sizeof(l) - 1 ? n : sizeof(l) - 1), line);
		if (strcasestr(l, "error") || strcasestr(l, "warning")) {
			/* The summary lines say "0 Errors, 0 Warnings". */
			ck_assert_msg(strstr(l, " 0 Errors") || strstr(l, "0 Errors,"), "iasl %s: %s",
				      args, l);
			ck_assert_msg(strstr(l, " 0 Warnings"), "iasl %s: %s", args, l);
		}
	}
	return out;
}

START_TEST(iasl_disassembles)
{
	static const char *const sigs[] = { "FACP", "APIC", "MCFG", "XSDT" };
	char dir[] = "/tmp/test_acpi.XXXXXX", path[300], cmd[400];
	const struct acpi_fadt *f;
	const struct acpi_header *h;
	char *dsl;

	ck_assert_int_gt(build(2), 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	f = table(xsdt_find("FACP"), "FACP", sizeof(*f));
	h = table(f->x_dsdt, "DSDT", 36);
	snprintf(path, sizeof(path), "%s/dsdt.dat", dir);
	write_file(path, h, h->length);
	for (unsigned int i = 0; i < 4; i++) {
		uint64_t gpa = !strcmp(sigs[i], "XSDT") ? rsdp()->xsdt_address : xsdt_find(sigs[i]);

		h = table(gpa, sigs[i], 36);
		snprintf(path, sizeof(path), "%s/%.4s.dat", dir, sigs[i]);
		write_file(path, h, h->length);
	}
	run_iasl(dir, "-d dsdt.dat FACP.dat APIC.dat MCFG.dat XSDT.dat");
	/* The DSDT disassembly holds what the guest must find, and compiles back cleanly. */
	snprintf(path, sizeof(path), "%s/dsdt.dsl", dir);
	dsl = read_text(path);
	ck_assert_ptr_nonnull(strstr(dsl, "Device (PCI0)"));
	ck_assert_ptr_nonnull(strstr(dsl, "EisaId (\"PNP0A08\")"));
	ck_assert_ptr_nonnull(strstr(dsl, "WordBusNumber (ResourceProducer"));
	ck_assert_ptr_nonnull(strstr(dsl, "0x0CF8,             // Range Minimum"));
	ck_assert_ptr_nonnull(strstr(dsl, "0xC0000000,         // Range Minimum"));
	ck_assert_ptr_nonnull(strstr(dsl, "QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Prefetchable"));
	ck_assert_ptr_nonnull(strstr(dsl, "0x0000000140000000, // Range Minimum"));
	ck_assert_ptr_nonnull(strstr(dsl, "Device (COM1)"));
	ck_assert_ptr_nonnull(strstr(dsl, "IRQNoFlags ()"));
	ck_assert_ptr_nonnull(strstr(dsl, "{4}"));
	ck_assert_ptr_nonnull(strstr(dsl, "EisaId (\"PNP0C02\")"));
	ck_assert_ptr_nonnull(strstr(dsl, "Memory32Fixed (ReadWrite,"));
	ck_assert_ptr_nonnull(strstr(dsl, "0xE0000000,         // Address Base"));
	ck_assert_ptr_nonnull(strstr(dsl, "Name (\\_S5, Package (0x02)"));
	ck_assert_ptr_nonnull(strstr(dsl, "Device (GED0)"));
	ck_assert_ptr_nonnull(strstr(dsl, "Name (_HID, \"ACPI0013\" /* Generic Event Device */)"));
	ck_assert_ptr_nonnull(strstr(dsl, "Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, )"));
	ck_assert_ptr_nonnull(strstr(dsl, "Method (_EVT, 1, NotSerialized)"));
	ck_assert_ptr_nonnull(strstr(dsl, "If ((Arg0 == 0x09))"));
	ck_assert_ptr_nonnull(strstr(dsl, "Notify (\\_SB.PWRB, 0x80)"));
	ck_assert_ptr_nonnull(strstr(dsl, "EisaId (\"PNP0C0C\")"));
	run_iasl(dir, "-p recompiled dsdt.dsl");
	dsl = read_text(strcat(strcpy(path, dir), "/FACP.dsl"));
	ck_assert_ptr_nonnull(strstr(dsl, "Hardware Reduced (V5) : 1"));
	ck_assert_ptr_nonnull(strstr(dsl, "CMOS RTC Not Present (V5) : 1"));
	ck_assert_ptr_nonnull(strstr(dsl, "8042 Present on ports 60/64 (V2) : 0"));
	ck_assert_ptr_nonnull(strstr(dsl, "Reset Register Supported (V2) : 1"));
	if (getenv("KEEP_TMP"))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *acpi_suite(void)
{
	Suite *s = suite_create("acpi");
	TCase *tc = tcase_create("acpi");

	tcase_add_test(tc, rsdp_xsdt);
	tcase_add_test(tc, fadt);
	tcase_add_test(tc, madt_1);
	tcase_add_test(tc, madt_4);
	tcase_add_test(tc, madt_254);
	tcase_add_test(tc, mcfg);
	tcase_add_test(tc, dsdt_bytes);
	tcase_add_test(tc, errors);
	tcase_add_test(tc, aml_pkglength);
	tcase_add_test(tc, iasl_disassembles);
	tcase_add_test(tc, pm_ports);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(acpi_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
