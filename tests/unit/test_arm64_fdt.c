// SPDX-License-Identifier: MIT
/*
 * The arm64 device tree (src/arch/arm64/fdt.c), built on the host: read back with libfdt
 * (memory, cpus + psci, GICv3 + ITS, timer PPIs, the UART, the ECAM host bridge with both
 * windows and msi-map, /chosen) and decompiled by dtc (device-tree-compiler), which must print
 * no warning at all.
 */
#include <check.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/arm64/fdt.h"
#include "arch/arm64/layout.h"

#define DTB_SIZE 65536

static uint8_t dtb[DTB_SIZE];

static struct fdt_desc desc(unsigned int cpus)
{
	return (struct fdt_desc){
		.ram_base = LAYOUT_RAM_BASE, .ram_size = 512ULL << 20, .nr_vcpus = cpus,
		.cmdline = "console=ttyS0 rdinit=/init", .initrd_start = 0x5f000000,
		.initrd_size = 0x123000, .mmio64_base = 0x100000000ULL,
		.mmio64_size = (1ULL << 40) - 0x100000000ULL,
	};
}

static int build(const struct fdt_desc *d)
{
	char err[128] = "";
	int n = fdt_build(dtb, sizeof(dtb), d, err, sizeof(err));

	ck_assert_msg(n > 0, "fdt_build: %s", err);
	ck_assert_int_eq(fdt_check_header(dtb), 0);
	ck_assert_int_eq(fdt_totalsize(dtb), n);
	return n;
}

static int node(const char *path)
{
	int off = fdt_path_offset(dtb, path);

	ck_assert_msg(off >= 0, "no node %s: %s", path, fdt_strerror(off));
	return off;
}

static const fdt32_t *prop(int off, const char *name, int *len)
{
	const fdt32_t *p = fdt_getprop(dtb, off, name, len);

	ck_assert_msg(p != NULL, "no property %s", name);
	return p;
}

static uint64_t cell64(const fdt32_t *p)
{
	return (uint64_t)fdt32_to_cpu(p[0]) << 32 | fdt32_to_cpu(p[1]);
}

START_TEST(test_memory_chosen)
{
	struct fdt_desc d = desc(1);
	const fdt32_t *p;
	int len, off;

	build(&d);
	off = node("/memory@40000000");
	ck_assert_str_eq(fdt_getprop(dtb, off, "device_type", NULL), "memory");
	p = prop(off, "reg", &len);
	ck_assert_int_eq(len, 16);
	ck_assert_uint_eq(cell64(p), LAYOUT_RAM_BASE);
	ck_assert_uint_eq(cell64(p + 2), 512ULL << 20);
	off = node("/chosen");
	ck_assert_str_eq(fdt_getprop(dtb, off, "bootargs", NULL), d.cmdline);
	ck_assert_str_eq(fdt_getprop(dtb, off, "stdout-path", NULL), "/uart@9000000");
	p = prop(off, "linux,initrd-start", &len);
	ck_assert_int_eq(len, 8);
	ck_assert_uint_eq(cell64(p), 0x5f000000);
	ck_assert_uint_eq(cell64(prop(off, "linux,initrd-end", &len)), 0x5f123000);
	/* without an initrd, no initrd properties */
	d.initrd_size = 0;
	d.cmdline = NULL;
	build(&d);
	off = node("/chosen");
	ck_assert_ptr_null(fdt_getprop(dtb, off, "linux,initrd-start", NULL));
	ck_assert_str_eq(fdt_getprop(dtb, off, "bootargs", NULL), "");
}
END_TEST

START_TEST(test_cpus_psci)
{
	struct fdt_desc d = desc(4);
	char path[32];
	int off, len;

	build(&d);
	for (unsigned int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/cpus/cpu@%x", i);
		off = node(path);
		ck_assert_uint_eq(fdt32_to_cpu(*prop(off, "reg", &len)), i);
		ck_assert_str_eq(fdt_getprop(dtb, off, "enable-method", NULL), "psci");
	}
	ck_assert_int_lt(fdt_path_offset(dtb, "/cpus/cpu@4"), 0);
	off = node("/psci");
	ck_assert_int_eq(fdt_node_check_compatible(dtb, off, "arm,psci-0.2"), 0);
	ck_assert_str_eq(fdt_getprop(dtb, off, "method", NULL), "hvc");
}
END_TEST

START_TEST(test_gic_its_timer_uart)
{
	struct fdt_desc d = desc(2);
	const fdt32_t *p;
	int off, len;

	build(&d);
	off = node("/intc@8000000");
	ck_assert_int_eq(fdt_node_check_compatible(dtb, off, "arm,gic-v3"), 0);
	ck_assert_int_eq(fdt_get_phandle(dtb, off), FDT_PHANDLE_GIC);
	p = prop(off, "reg", &len);
	ck_assert_int_eq(len, 32);
	ck_assert_uint_eq(cell64(p), LAYOUT_GICD_BASE);
	ck_assert_uint_eq(cell64(p + 4), LAYOUT_GICR_BASE);
	ck_assert_uint_eq(cell64(p + 6), 2 * LAYOUT_GICR_SIZE_PER_CPU);
	ck_assert_ptr_nonnull(fdt_getprop(dtb, off, "interrupt-controller", NULL));
	off = node("/intc@8000000/msi-controller@8080000");
	ck_assert_int_eq(fdt_node_check_compatible(dtb, off, "arm,gic-v3-its"), 0);
	ck_assert_ptr_nonnull(fdt_getprop(dtb, off, "msi-controller", NULL));
	ck_assert_int_eq(fdt_get_phandle(dtb, off), FDT_PHANDLE_ITS);
	off = node("/timer");
	p = prop(off, "interrupts", &len);
	ck_assert_int_eq(len, 48);
	ck_assert_uint_eq(fdt32_to_cpu(p[1]), 13);
	ck_assert_uint_eq(fdt32_to_cpu(p[4]), 14);
	ck_assert_uint_eq(fdt32_to_cpu(p[7]), 11);
	ck_assert_uint_eq(fdt32_to_cpu(p[10]), 10);
	off = node("/uart@9000000");
	ck_assert_int_eq(fdt_node_check_compatible(dtb, off, "ns16550a"), 0);
	p = prop(off, "interrupts", &len);
	ck_assert_uint_eq(fdt32_to_cpu(p[0]), 0);               /* SPI */
	ck_assert_uint_eq(fdt32_to_cpu(p[1]), LAYOUT_SPI_UART);
	ck_assert_uint_eq(fdt32_to_cpu(*prop(0, "interrupt-parent", &len)), FDT_PHANDLE_GIC);
}
END_TEST

START_TEST(test_pci_host)
{
	struct fdt_desc d = desc(1);
	const fdt32_t *p;
	int off, len;

	build(&d);
	off = node("/pcie@30000000");
	ck_assert_int_eq(fdt_node_check_compatible(dtb, off, "pci-host-ecam-generic"), 0);
	p = prop(off, "reg", &len);
	ck_assert_uint_eq(cell64(p), LAYOUT_PCI_ECAM_BASE);
	ck_assert_uint_eq(cell64(p + 2), LAYOUT_PCI_ECAM_SIZE);
	p = prop(off, "ranges", &len);
	ck_assert_int_eq(len, 2 * 7 * 4);
	ck_assert_uint_eq(fdt32_to_cpu(p[0]), 0x02000000);      /* 32-bit memory */
	ck_assert_uint_eq(cell64(p + 3), LAYOUT_PCI_MMIO32_BASE);
	ck_assert_uint_eq(cell64(p + 5), LAYOUT_PCI_MMIO32_SIZE);
	ck_assert_uint_eq(fdt32_to_cpu(p[7]), 0x43000000);      /* 64-bit prefetchable */
	ck_assert_uint_eq(cell64(p + 8), d.mmio64_base);        /* PCI address = CPU address */
	ck_assert_uint_eq(cell64(p + 10), d.mmio64_base);
	ck_assert_uint_eq(cell64(p + 12), d.mmio64_size);
	p = prop(off, "msi-map", &len);
	ck_assert_int_eq(len, 16);
	ck_assert_uint_eq(fdt32_to_cpu(p[1]), FDT_PHANDLE_ITS);
	ck_assert_uint_eq(fdt32_to_cpu(p[3]), 0x10000);
	/* no 64-bit window: one range */
	d.mmio64_size = 0;
	build(&d);
	prop(node("/pcie@30000000"), "ranges", &len);
	ck_assert_int_eq(len, 7 * 4);
}
END_TEST

START_TEST(test_too_small)
{
	struct fdt_desc d = desc(64);
	char err[128] = "";

	ck_assert_int_eq(fdt_build(dtb, 512, &d, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "device tree"));
	d.nr_vcpus = 0;
	ck_assert_int_eq(fdt_build(dtb, sizeof(dtb), &d, err, sizeof(err)), -1);
}
END_TEST

/* dtc -I dtb -O dts must decompile it without a single warning (1 and 64 vCPUs). */
START_TEST(test_dtc_clean)
{
	const unsigned int cpus[] = { 1, 64 };

	for (unsigned int i = 0; i < 2; i++) {
		struct fdt_desc d = desc(cpus[i]);
		char path[] = "/tmp/test_arm64_fdt.XXXXXX", cmd[256], out[4096];
		int n = build(&d), fd = mkstemp(path);
		size_t got;
		FILE *f;
		int st;

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, dtb, (size_t)n), n);
		close(fd);
		snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts -o /dev/null %s 2>&1", path);
		f = popen(cmd, "r");
		ck_assert_ptr_nonnull(f);
		got = fread(out, 1, sizeof(out) - 1, f);
		out[got] = 0;
		st = pclose(f);
		unlink(path);
		ck_assert_msg(st == 0, "dtc failed (is device-tree-compiler installed?): %s", out);
		ck_assert_msg(got == 0, "dtc warnings with %u vCPUs:\n%s", cpus[i], out);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("arm64_fdt");
	TCase *tc = tcase_create("arm64_fdt");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_memory_chosen);
	tcase_add_test(tc, test_cpus_psci);
	tcase_add_test(tc, test_gic_its_timer_uart);
	tcase_add_test(tc, test_pci_host);
	tcase_add_test(tc, test_too_small);
	tcase_add_test(tc, test_dtc_clean);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
