// SPDX-License-Identifier: MIT
/* The KVM VM: fds, the arch's irqchip (arch_vm_init), guest RAM memslots, GSI routing, irqfd/ioeventfd. */
#include "kvm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/arch.h"
#include "util/err.h"
#include "util/log.h"

#ifndef KVM_CAP_MEMORY_FAULT_INFO
#define KVM_CAP_MEMORY_FAULT_INFO 232   /* Linux 6.8; older headers (Debian 12: 6.1) lack it */
#endif

struct vm_mem_owner {
	int slot;
	uint64_t gpa, size;     /* where the slot is now (size 0: not mapped) */
	vm_repair_fn repair;
	void *opaque;
};

static int vm_common_init(struct vm *vm, uint64_t ram_size, enum guest_mem_backing backing)
{
	int ret;

	pthread_mutex_init(&vm->slot_lock, NULL);
	pthread_mutex_init(&vm->gsi_lock, NULL);
	bus_init(&vm->pio_bus, "pio");
	bus_init(&vm->mmio_bus, "mmio");
	atomic_init(&vm->stopping, 0);
	vm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_fd < 0)
		return -errno;
	vm->routes = calloc(VM_MAX_GSI, sizeof(*vm->routes));
	vm->gsi_used = calloc(VM_MAX_GSI, 1);
	if (!vm->routes || !vm->gsi_used)
		return -ENOMEM;
	ret = guest_mem_init_backed(&vm->mem, ram_size, backing);
	if (ret < 0)
		return ret;
	return 0;
}

int vm_init_harness(struct vm *vm, uint64_t ram_size)
{
	return vm_init_harness_backed(vm, ram_size, GUEST_MEM_MEMFD);
}

int vm_init_harness_backed(struct vm *vm, uint64_t ram_size, enum guest_mem_backing backing)
{
	int ret;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = -1;
	vm->vm_fd = -1;
	vm->stop_fd = -1;
	vm->mem.fd = -1;
	vm->max_memslots = 32764;
	vm->slot_used = calloc(vm->max_memslots, 1);
	if (!vm->slot_used)
		return -ENOMEM;
	ret = vm_common_init(vm, ram_size, backing);
	if (ret < 0)
		vm_destroy(vm);
	return ret;
}

static int commit_routes(struct vm *vm);

static int register_ram(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->mem.nr_regions; i++) {
		const struct guest_mem_region *r = &vm->mem.regions[i];
		int slot = vm_memslot_alloc(vm);
		int ret;

		if (slot < 0)
			return slot;
		ret = vm_memslot_set(vm, slot, r->gpa, r->size, r->hva, false);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int vm_init(struct vm *vm, uint64_t ram_size, enum guest_mem_backing backing, char *err,
	    size_t errlen)
{
	int ret, n;

	memset(vm, 0, sizeof(*vm));
	vm->vm_fd = -1;
	vm->stop_fd = -1;
	vm->mem.fd = -1;
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		ret = err_fmt(err, errlen, -errno, "cannot open /dev/kvm: %s (is KVM available and "
			      "are you allowed to use it?)", strerror(errno));
		goto fail;
	}
	n = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (n != KVM_API_VERSION) {
		ret = err_fmt(err, errlen, -ENOTSUP, "KVM API version %d, expected %d", n,
			      KVM_API_VERSION);
		goto fail;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, arch_vm_type());
	if (vm->vm_fd < 0) {
		ret = err_fmt(err, errlen, -errno, "KVM_CREATE_VM: %s", strerror(errno));
		goto fail;
	}
	vm->memory_fault_info = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
				      KVM_CAP_MEMORY_FAULT_INFO) > 0;
	n = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	vm->max_memslots = n > 0 ? (uint32_t)n : 32;
	vm->slot_used = calloc(vm->max_memslots, 1);
	if (!vm->slot_used) {
		ret = err_fmt(err, errlen, -ENOMEM, "out of memory for the memslot table");
		goto fail;
	}
	ret = vm_common_init(vm, ram_size, backing);
	if (ret < 0) {
		err_fmt(err, errlen, ret, "cannot allocate %llu bytes of %s guest RAM: %s%s",
			(unsigned long long)ram_size, guest_mem_backing_name(backing), strerror(-ret),
			backing == GUEST_MEM_HUGETLB && ret == -ENOMEM ?
			" (too few 2 MiB pages reserved: /proc/sys/vm/nr_hugepages)" : "");
		goto fail;
	}
	ret = arch_vm_init(vm, err, errlen);
	if (ret < 0)
		goto fail;
	ret = register_ram(vm);
	if (ret < 0) {
		err_fmt(err, errlen, ret, "cannot register guest RAM with KVM: %s", strerror(-ret));
		goto fail;
	}
	for (int gsi = 0; gsi < VM_IRQCHIP_GSIS; gsi++)
		vm->gsi_used[gsi] = 1;
	pthread_mutex_lock(&vm->gsi_lock);
	ret = commit_routes(vm);
	pthread_mutex_unlock(&vm->gsi_lock);
	if (ret < 0) {
		err_fmt(err, errlen, ret, "KVM_SET_GSI_ROUTING: %s", strerror(-ret));
		goto fail;
	}
	return 0;
fail:
	vm_destroy(vm);
	return ret;
}

void vm_destroy(struct vm *vm)
{
	if (vm->mem.fd >= 0 || vm->mem.base)
		guest_mem_destroy(&vm->mem);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	if (vm->pio_bus.name)
		bus_destroy(&vm->pio_bus);
	if (vm->mmio_bus.name)
		bus_destroy(&vm->mmio_bus);
	free(vm->routes);
	free(vm->gsi_used);
	free(vm->slot_used);
	free(vm->owners);
	vm->owners = NULL;
	vm->nr_owners = 0;
	vm->routes = NULL;
	vm->gsi_used = NULL;
	vm->slot_used = NULL;
	vm->vm_fd = vm->kvm_fd = vm->stop_fd = -1;
}

int vm_memslot_alloc(struct vm *vm)
{
	int slot = -ENOSPC;

	pthread_mutex_lock(&vm->slot_lock);
	for (uint32_t i = 0; i < vm->max_memslots; i++) {
		if (!vm->slot_used[i]) {
			vm->slot_used[i] = 1;
			slot = (int)i;
			break;
		}
	}
	pthread_mutex_unlock(&vm->slot_lock);
	return slot;
}

void vm_memslot_free(struct vm *vm, int slot)
{
	if (slot < 0 || (uint32_t)slot >= vm->max_memslots)
		return;
	pthread_mutex_lock(&vm->slot_lock);
	vm->slot_used[slot] = 0;
	for (unsigned int i = 0; i < vm->nr_owners; i++) {
		if (vm->owners[i].slot == slot) {
			vm->owners[i] = vm->owners[--vm->nr_owners];
			break;
		}
	}
	pthread_mutex_unlock(&vm->slot_lock);
}

int vm_memslot_set_owner(struct vm *vm, int slot, vm_repair_fn repair, void *opaque)
{
	struct vm_mem_owner *o;

	if (slot < 0 || (uint32_t)slot >= vm->max_memslots || !repair)
		return -EINVAL;
	pthread_mutex_lock(&vm->slot_lock);
	o = realloc(vm->owners, (vm->nr_owners + 1) * sizeof(*o));
	if (!o) {
		pthread_mutex_unlock(&vm->slot_lock);
		return -ENOMEM;
	}
	vm->owners = o;
	o[vm->nr_owners++] = (struct vm_mem_owner){ .slot = slot, .repair = repair,
						    .opaque = opaque };
	pthread_mutex_unlock(&vm->slot_lock);
	return 0;
}

/* Records where an owned slot is mapped now. */
static void owner_moved(struct vm *vm, int slot, uint64_t gpa, uint64_t size)
{
	pthread_mutex_lock(&vm->slot_lock);
	for (unsigned int i = 0; i < vm->nr_owners; i++) {
		if (vm->owners[i].slot == slot) {
			vm->owners[i].gpa = gpa;
			vm->owners[i].size = size;
		}
	}
	pthread_mutex_unlock(&vm->slot_lock);
}

int vm_repair_memory(struct vm *vm, uint64_t gpa)
{
	int total = 0;

	pthread_mutex_lock(&vm->slot_lock);
	for (unsigned int i = 0; i < vm->nr_owners; i++) {
		const struct vm_mem_owner *o = &vm->owners[i];
		int ret;

		if (!o->size)
			continue;
		if (gpa != UINT64_MAX && (gpa < o->gpa || gpa - o->gpa >= o->size))
			continue;
		ret = o->repair(o->opaque, gpa == UINT64_MAX ? UINT64_MAX : gpa - o->gpa);
		if (ret > 0)
			total += ret;
	}
	pthread_mutex_unlock(&vm->slot_lock);
	return total;
}

int vm_memslot_set(struct vm *vm, int slot, uint64_t gpa, uint64_t size, void *hva, bool readonly)
{
	struct kvm_userspace_memory_region r = {
		.slot = (uint32_t)slot,
		.flags = readonly ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	if (vm->vm_fd >= 0 && ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return -errno;
	owner_moved(vm, slot, gpa, size);
	return 0;
}

int vm_irq_line(struct vm *vm, uint32_t irq, int level)
{
	struct kvm_irq_level l = { .irq = arch_irq_line(irq), .level = (uint32_t)level };

	if (vm->vm_fd < 0)
		return 0;
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		return -errno;
	return 0;
}

/* Rebuilds and installs the whole routing table. Caller holds gsi_lock. */
static int commit_routes(struct vm *vm)
{
	struct kvm_irq_routing *table;
	unsigned int n = 0;
	int ret = 0;

	if (vm->vm_fd < 0)
		return 0;
	table = calloc(1, sizeof(*table) + (VM_MAX_GSI + 24) * sizeof(table->entries[0]));
	if (!table)
		return -ENOMEM;
	n = arch_irq_routes(table->entries);
	for (uint32_t gsi = VM_IRQCHIP_GSIS; gsi < VM_MAX_GSI; gsi++)
		if (vm->gsi_used[gsi] && vm->routes[gsi].type == KVM_IRQ_ROUTING_MSI)
			table->entries[n++] = vm->routes[gsi];
	table->nr = n;
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, table) < 0)
		ret = -errno;
	free(table);
	return ret;
}

int vm_gsi_alloc(struct vm *vm)
{
	int gsi = -ENOSPC;

	pthread_mutex_lock(&vm->gsi_lock);
	for (int i = VM_IRQCHIP_GSIS; i < VM_MAX_GSI; i++) {
		if (!vm->gsi_used[i]) {
			vm->gsi_used[i] = 1;
			memset(&vm->routes[i], 0, sizeof(vm->routes[i]));
			gsi = i;
			break;
		}
	}
	pthread_mutex_unlock(&vm->gsi_lock);
	return gsi;
}

int vm_gsi_set_msi(struct vm *vm, int gsi, uint64_t addr, uint32_t data, uint32_t devid)
{
	int ret;

	if (gsi < VM_IRQCHIP_GSIS || gsi >= VM_MAX_GSI)
		return -EINVAL;
	pthread_mutex_lock(&vm->gsi_lock);
	vm->routes[gsi] = (struct kvm_irq_routing_entry){
		.gsi = (uint32_t)gsi, .type = KVM_IRQ_ROUTING_MSI,
		.u.msi = { .address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32), .data = data },
	};
	arch_msi_route_devid(&vm->routes[gsi], devid);
	ret = commit_routes(vm);
	pthread_mutex_unlock(&vm->gsi_lock);
	return ret;
}

void vm_gsi_free(struct vm *vm, int gsi)
{
	if (gsi < VM_IRQCHIP_GSIS || gsi >= VM_MAX_GSI)
		return;
	pthread_mutex_lock(&vm->gsi_lock);
	if (vm->gsi_used[gsi]) {
		vm->gsi_used[gsi] = 0;
		if (vm->routes[gsi].type == KVM_IRQ_ROUTING_MSI)
			commit_routes(vm);
		memset(&vm->routes[gsi], 0, sizeof(vm->routes[gsi]));
	}
	pthread_mutex_unlock(&vm->gsi_lock);
}

int vm_irqfd(struct vm *vm, int fd, int gsi, bool assign)
{
	struct kvm_irqfd irqfd = {
		.fd = (uint32_t)fd, .gsi = (uint32_t)gsi, .flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	if (vm->vm_fd < 0)
		return 0;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		return -errno;
	return 0;
}

int vm_ioeventfd(struct vm *vm, uint64_t addr, uint32_t len, int fd, bool pio, bool assign)
{
	struct kvm_ioeventfd ioev = {
		.addr = addr, .len = len, .fd = fd,
		.flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) | (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	if (vm->vm_fd < 0)
		return 0;
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &ioev) < 0)
		return -errno;
	return 0;
}

void vm_request_stop(struct vm *vm, int status)
{
	int expected = 0;
	uint64_t one = 1;

	if (!atomic_compare_exchange_strong(&vm->stopping, &expected, 1))
		return;
	vm->exit_status = status;
	if (vm->stop_fd >= 0 && write(vm->stop_fd, &one, sizeof(one)) < 0)
		pr_debug("stop eventfd: %s", strerror(errno));
}
