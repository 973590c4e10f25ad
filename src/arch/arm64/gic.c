// SPDX-License-Identifier: MIT
/* The in-kernel GICv3 and ITS (kvm_arm64.h): KVM_CREATE_DEVICE, addresses, NR_IRQS, CTRL_INIT. */
#include "arch/arm64/kvm_arm64.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/arm64/layout.h"

static int set_attr(int fd, uint32_t group, uint64_t attr, const void *val)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)val };

	return ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0 ? -errno : 0;
}

static int create(int vm_fd, uint32_t type)
{
	struct kvm_create_device cd = { .type = type };

	return ioctl(vm_fd, KVM_CREATE_DEVICE, &cd) < 0 ? -errno : (int)cd.fd;
}

#define FAIL(step) do { snprintf(err, errlen, "%s: %s", step, strerror(-ret)); \
			arm64_gic_destroy(gic); return ret; } while (0)

int arm64_gic_create(int vm_fd, unsigned int nr_vcpus, struct arm64_gic *gic, char *err,
		     size_t errlen)
{
	const uint64_t dist = LAYOUT_GICD_BASE, redist = LAYOUT_GICR_BASE, its = LAYOUT_GITS_BASE;
	const uint32_t nr_irqs = LAYOUT_NR_IRQS;
	int ret;

	gic->gic_fd = gic->its_fd = -1;
	if ((uint64_t)nr_vcpus * LAYOUT_GICR_SIZE_PER_CPU > LAYOUT_UART_BASE - LAYOUT_GICR_BASE) {
		ret = -EINVAL;
		FAIL("GICv3 redistributors");
	}
	ret = create(vm_fd, KVM_DEV_TYPE_ARM_VGIC_V3);
	if (ret < 0)
		FAIL("KVM_CREATE_DEVICE GICv3");
	gic->gic_fd = ret;
	ret = set_attr(gic->gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	if (ret)
		FAIL("GICv3 distributor address");
	ret = set_attr(gic->gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
	if (ret)
		FAIL("GICv3 redistributor address");
	ret = set_attr(gic->gic_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs);
	if (ret)
		FAIL("GICv3 NR_IRQS");
	ret = set_attr(gic->gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	if (ret)
		FAIL("GICv3 CTRL_INIT");
	ret = create(vm_fd, KVM_DEV_TYPE_ARM_VGIC_ITS);
	if (ret < 0)
		FAIL("KVM_CREATE_DEVICE ITS");
	gic->its_fd = ret;
	ret = set_attr(gic->its_fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_ITS_ADDR_TYPE, &its);
	if (ret)
		FAIL("ITS address");
	ret = set_attr(gic->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	if (ret)
		FAIL("ITS CTRL_INIT");
	return 0;
}

void arm64_gic_destroy(struct arm64_gic *gic)
{
	if (gic->its_fd >= 0)
		close(gic->its_fd);
	if (gic->gic_fd >= 0)
		close(gic->gic_fd);
	gic->gic_fd = gic->its_fd = -1;
}
