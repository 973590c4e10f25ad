/* SPDX-License-Identifier: MIT */
/*
 * The KVM virtual machine: /dev/kvm and VM fds, guest RAM memslots, the in-kernel irqchip and
 * PIT, GSI routing for MSI, irqfd/ioeventfd registration, and the buses devices attach to.
 *
 * Harness mode: a struct vm with vm_fd == -1 (vm_init_harness) has RAM and buses but no KVM.
 * Every vm_* KVM helper is then a successful no-op, so devices run unchanged: ioeventfd-backed
 * notify writes reach the device's bus handler (which signals the eventfd itself) and MSI
 * irqfds are plain eventfds the test polls.
 */
#ifndef MICROVM_VM_H
#define MICROVM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mm/guest_mem.h"
#include "kvm/bus.h"

#define VM_MAX_VCPUS 64
#define VM_IRQCHIP_GSIS 24     /* GSIs 0-23 route to the PIC/IOAPIC pins */
#define VM_MAX_GSI 1024

struct vcpu;
struct kvm_irq_routing_entry;

struct vm {
	int kvm_fd;
	int vm_fd;                 /* -1 in harness mode */
	struct guest_mem mem;
	struct bus pio_bus;
	struct bus mmio_bus;

	unsigned int nr_vcpus;
	struct vcpu *vcpus;

	/* KVM memslots: slot numbers in use (guest RAM takes the first ones). */
	pthread_mutex_t slot_lock;
	uint32_t max_memslots;
	uint8_t *slot_used;
	/* Memory owners (vm_memslot_set_owner), under slot_lock. */
	struct vm_mem_owner *owners;
	unsigned int nr_owners;
	bool memory_fault_info;    /* KVM_CAP_MEMORY_FAULT_INFO: EFAULT exits carry the GPA */

	/* GSI routing: irqchip pins plus one MSI route per allocated GSI. */
	pthread_mutex_t gsi_lock;
	struct kvm_irq_routing_entry *routes; /* indexed by gsi */
	uint8_t *gsi_used;

	/* Stop request: first vm_request_stop() wins; the main loop waits on stop_fd. */
	atomic_int stopping;
	int exit_status;
	int stop_fd;               /* eventfd written on stop */

	/* Pause (control API; vcpu.c): vCPUs park outside KVM_RUN while pause_req is set. */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond; /* parked changed, pause lifted, or stop */
	atomic_bool pause_req;
	unsigned int parked;       /* vCPUs parked, under pause_lock */
};

/* Opens /dev/kvm, creates the VM, the arch's irqchip (arch_vm_init), RAM (backing:
 * mm/guest_mem.h) and its memslots. 0 or -errno with the reason in err. */
int vm_init(struct vm *vm, uint64_t ram_size, enum guest_mem_backing backing, char *err,
	    size_t errlen);
/* RAM (memfd) and buses only, no KVM: for the guest-driver harness. */
int vm_init_harness(struct vm *vm, uint64_t ram_size);
/* Same with the RAM backing of choice (benchmarks: anonymous THP, as a VM without vhost-user). */
int vm_init_harness_backed(struct vm *vm, uint64_t ram_size, enum guest_mem_backing backing);
void vm_destroy(struct vm *vm);

/* Memslots. vm_memslot_alloc returns a free slot number or -ENOSPC. size 0 deletes a slot. */
int vm_memslot_alloc(struct vm *vm);
void vm_memslot_free(struct vm *vm, int slot);
int vm_memslot_set(struct vm *vm, int slot, uint64_t gpa, uint64_t size, void *hva, bool readonly);

/*
 * Memory owners: who can repair the host mapping behind a memslot after KVM_RUN failed with
 * EFAULT (a host page that cannot be faulted in, e.g. past EOF of a mapped file). repair gets
 * the offset of the faulting access inside the slot, or UINT64_MAX when KVM did not say where
 * (Linux < 6.8), and returns > 0 if it changed the mapping (the vCPU may re-enter), 0 if
 * nothing of its memory could have faulted. Hooks are called under the slot lock: they must
 * not allocate memslots. vm_memslot_free drops the slot's hook.
 */
typedef int (*vm_repair_fn)(void *opaque, uint64_t offset);
int vm_memslot_set_owner(struct vm *vm, int slot, vm_repair_fn repair, void *opaque);
/* After KVM_RUN EFAULT: asks the owner of gpa (UINT64_MAX: every owner). Sum of repairs. */
int vm_repair_memory(struct vm *vm, uint64_t gpa);

/* Level of a legacy IRQ line (IOAPIC pin / PIC). */
int vm_irq_line(struct vm *vm, uint32_t irq, int level);

/*
 * MSI routes: allocate a GSI (>= VM_IRQCHIP_GSIS), point it at an MSI message from the PCI
 * requester id devid (bus << 8 | devfn: arm64's ITS needs it, x86 ignores it), free it.
 */
int vm_gsi_alloc(struct vm *vm);
int vm_gsi_set_msi(struct vm *vm, int gsi, uint64_t addr, uint32_t data, uint32_t devid);
void vm_gsi_free(struct vm *vm, int gsi);

/* irqfd: writes to fd inject gsi. ioeventfd: guest writes of len bytes at addr signal fd. */
int vm_irqfd(struct vm *vm, int fd, int gsi, bool assign);
int vm_ioeventfd(struct vm *vm, uint64_t addr, uint32_t len, int fd, bool pio, bool assign);

/* Asks the VM to stop with a process exit status (see exit_codes.h). Thread-safe. */
void vm_request_stop(struct vm *vm, int status);
static inline bool vm_stopping(struct vm *vm) { return atomic_load(&vm->stopping) != 0; }

#endif
