// SPDX-License-Identifier: MIT
/* The arm64 device tree (fdt.h), libfdt sequential-write API. */
#include "arch/arm64/fdt.h"

#include <libfdt.h>
#include <stdio.h>
#include <string.h>

#include "arch/arm64/layout.h"

/* Device tree interrupt specifiers (dt-bindings/interrupt-controller/arm-gic.h). */
#define GIC_SPI 0
#define GIC_PPI 1
#define IRQ_TYPE_LEVEL_HIGH 4
#define UART_CLOCK 1843200

/* libfdt calls return 0 or a negative FDT_ERR_*: chain them, remembering the first failure. */
#define TRY(x) do { if (!r) r = (x); } while (0)

static int prop_cells(void *fdt, const char *name, const uint32_t *cells, unsigned int n)
{
	fdt32_t be[16];

	for (unsigned int i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	return fdt_property(fdt, name, be, n * sizeof(be[0]));
}

/* reg / ranges entries of 64-bit addresses and sizes (#address-cells = #size-cells = 2). */
static int prop_reg2(void *fdt, const uint64_t *v, unsigned int n)
{
	fdt64_t be[8];

	for (unsigned int i = 0; i < n; i++)
		be[i] = cpu_to_fdt64(v[i]);
	return fdt_property(fdt, "reg", be, n * sizeof(be[0]));
}

static int node_cpus(void *fdt, unsigned int nr)
{
	int r = 0;

	TRY(fdt_begin_node(fdt, "cpus"));
	TRY(fdt_property_u32(fdt, "#address-cells", 1));
	TRY(fdt_property_u32(fdt, "#size-cells", 0));
	for (unsigned int i = 0; i < nr && !r; i++) {
		char name[16];

		snprintf(name, sizeof(name), "cpu@%x", i);
		TRY(fdt_begin_node(fdt, name));
		TRY(fdt_property_string(fdt, "device_type", "cpu"));
		TRY(fdt_property_string(fdt, "compatible", "arm,arm-v8"));
		TRY(fdt_property_u32(fdt, "reg", i));   /* MPIDR affinity 0: KVM's vCPU id < 16 */
		TRY(fdt_property_string(fdt, "enable-method", "psci"));
		TRY(fdt_end_node(fdt));
	}
	TRY(fdt_end_node(fdt));
	TRY(fdt_begin_node(fdt, "psci"));
	TRY(fdt_property(fdt, "compatible", "arm,psci-0.2\0arm,psci", sizeof("arm,psci-0.2\0arm,psci")));
	TRY(fdt_property_string(fdt, "method", "hvc"));
	TRY(fdt_end_node(fdt));
	return r;
}

static int node_gic(void *fdt, unsigned int nr_vcpus)
{
	const uint64_t reg[] = { LAYOUT_GICD_BASE, LAYOUT_GICD_SIZE,
				 LAYOUT_GICR_BASE, LAYOUT_GICR_SIZE_PER_CPU * nr_vcpus };
	const uint64_t its[] = { LAYOUT_GITS_BASE, LAYOUT_GITS_SIZE };
	char name[32];
	int r = 0;

	snprintf(name, sizeof(name), "intc@%llx", (unsigned long long)LAYOUT_GICD_BASE);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	TRY(fdt_property_u32(fdt, "#interrupt-cells", 3));
	TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
	TRY(prop_reg2(fdt, reg, 4));
	TRY(fdt_property_u32(fdt, "#redistributor-regions", 1));
	TRY(fdt_property_u32(fdt, "#address-cells", 2));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	TRY(fdt_property(fdt, "ranges", NULL, 0));
	TRY(fdt_property_u32(fdt, "phandle", FDT_PHANDLE_GIC));
	snprintf(name, sizeof(name), "msi-controller@%llx", (unsigned long long)LAYOUT_GITS_BASE);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property_string(fdt, "compatible", "arm,gic-v3-its"));
	TRY(fdt_property(fdt, "msi-controller", NULL, 0));
	TRY(fdt_property_u32(fdt, "#msi-cells", 1));
	TRY(prop_reg2(fdt, its, 2));
	TRY(fdt_property_u32(fdt, "phandle", FDT_PHANDLE_ITS));
	TRY(fdt_end_node(fdt));
	TRY(fdt_end_node(fdt));
	return r;
}

static int node_timer_uart(void *fdt)
{
	const uint32_t timer[] = {
		GIC_PPI, LAYOUT_PPI_TIMER_SEC, IRQ_TYPE_LEVEL_HIGH,
		GIC_PPI, LAYOUT_PPI_TIMER_NS, IRQ_TYPE_LEVEL_HIGH,
		GIC_PPI, LAYOUT_PPI_TIMER_VIRT, IRQ_TYPE_LEVEL_HIGH,
		GIC_PPI, LAYOUT_PPI_TIMER_HYP, IRQ_TYPE_LEVEL_HIGH,
	};
	const uint32_t uart_irq[] = { GIC_SPI, LAYOUT_SPI_UART, IRQ_TYPE_LEVEL_HIGH };
	const uint64_t uart_reg[] = { LAYOUT_UART_BASE, LAYOUT_UART_SIZE };
	char name[32];
	int r = 0;

	TRY(fdt_begin_node(fdt, "timer"));
	TRY(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
	TRY(prop_cells(fdt, "interrupts", timer, 12));
	TRY(fdt_property(fdt, "always-on", NULL, 0));
	TRY(fdt_end_node(fdt));
	snprintf(name, sizeof(name), "uart@%llx", (unsigned long long)LAYOUT_UART_BASE);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property_string(fdt, "compatible", "ns16550a"));
	TRY(prop_reg2(fdt, uart_reg, 2));
	TRY(prop_cells(fdt, "interrupts", uart_irq, 3));
	TRY(fdt_property_u32(fdt, "clock-frequency", UART_CLOCK));
	TRY(fdt_end_node(fdt));
	return r;
}

/* One PCI ranges entry: flags, PCI address (= CPU address), CPU address, size. */
static void range(uint32_t *c, uint32_t flags, uint64_t addr, uint64_t size)
{
	c[0] = flags;
	c[1] = c[3] = (uint32_t)(addr >> 32);
	c[2] = c[4] = (uint32_t)addr;
	c[5] = (uint32_t)(size >> 32);
	c[6] = (uint32_t)size;
}

static int node_pci(void *fdt, const struct fdt_desc *d)
{
	const uint64_t reg[] = { LAYOUT_PCI_ECAM_BASE, LAYOUT_PCI_ECAM_SIZE };
	/* requester ids 0-0xffff map 1:1 to ITS device ids */
	const uint32_t msi_map[] = { 0, FDT_PHANDLE_ITS, 0, 0x10000 };
	const uint32_t bus_range[] = { 0, 0 };
	uint32_t ranges[14];
	unsigned int n = 7;
	char name[32];
	int r = 0;

	range(ranges, 0x02000000, LAYOUT_PCI_MMIO32_BASE, LAYOUT_PCI_MMIO32_SIZE); /* 32-bit mem */
	if (d->mmio64_size) {
		range(ranges + 7, 0x43000000, d->mmio64_base, d->mmio64_size); /* 64-bit prefetchable */
		n = 14;
	}
	snprintf(name, sizeof(name), "pcie@%llx", (unsigned long long)LAYOUT_PCI_ECAM_BASE);
	TRY(fdt_begin_node(fdt, name));
	TRY(fdt_property_string(fdt, "compatible", "pci-host-ecam-generic"));
	TRY(fdt_property_string(fdt, "device_type", "pci"));
	TRY(fdt_property_u32(fdt, "#address-cells", 3));
	TRY(fdt_property_u32(fdt, "#size-cells", 2));
	TRY(prop_cells(fdt, "bus-range", bus_range, 2));
	TRY(fdt_property_u32(fdt, "linux,pci-domain", 0));
	TRY(prop_reg2(fdt, reg, 2));
	TRY(prop_cells(fdt, "ranges", ranges, n));
	TRY(prop_cells(fdt, "msi-map", msi_map, 4));
	TRY(fdt_property(fdt, "dma-coherent", NULL, 0));
	TRY(fdt_end_node(fdt));
	return r;
}

static int node_chosen(void *fdt, const struct fdt_desc *d)
{
	char path[32];
	int r = 0;

	snprintf(path, sizeof(path), "/uart@%llx", (unsigned long long)LAYOUT_UART_BASE);
	TRY(fdt_begin_node(fdt, "chosen"));
	TRY(fdt_property_string(fdt, "bootargs", d->cmdline ? d->cmdline : ""));
	TRY(fdt_property_string(fdt, "stdout-path", path));
	if (d->initrd_size) {
		TRY(fdt_property_u64(fdt, "linux,initrd-start", d->initrd_start));
		TRY(fdt_property_u64(fdt, "linux,initrd-end", d->initrd_start + d->initrd_size));
	}
	TRY(fdt_end_node(fdt));
	return r;
}

int fdt_build(void *buf, size_t size, const struct fdt_desc *d, char *err, size_t errlen)
{
	const uint64_t mem[] = { d->ram_base, d->ram_size };
	char name[32];
	int r = 0;

	if (size > INT32_MAX || !d->nr_vcpus) {
		snprintf(err, errlen, "device tree: bad arguments");
		return -1;
	}
	TRY(fdt_create(buf, (int)size));
	TRY(fdt_finish_reservemap(buf));
	TRY(fdt_begin_node(buf, ""));
	TRY(fdt_property_string(buf, "compatible", "linux,dummy-virt"));
	TRY(fdt_property_string(buf, "model", "microvm"));
	TRY(fdt_property_u32(buf, "#address-cells", 2));
	TRY(fdt_property_u32(buf, "#size-cells", 2));
	TRY(fdt_property_u32(buf, "interrupt-parent", FDT_PHANDLE_GIC));
	TRY(node_chosen(buf, d));
	snprintf(name, sizeof(name), "memory@%llx", (unsigned long long)d->ram_base);
	TRY(fdt_begin_node(buf, name));
	TRY(fdt_property_string(buf, "device_type", "memory"));
	TRY(prop_reg2(buf, mem, 2));
	TRY(fdt_end_node(buf));
	TRY(node_cpus(buf, d->nr_vcpus));
	TRY(node_gic(buf, d->nr_vcpus));
	TRY(node_timer_uart(buf));
	TRY(node_pci(buf, d));
	TRY(fdt_end_node(buf));
	TRY(fdt_finish(buf));
	if (r) {
		snprintf(err, errlen, "device tree: %s", fdt_strerror(r));
		return -1;
	}
	return (int)fdt_totalsize(buf);
}
