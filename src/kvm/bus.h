/* SPDX-License-Identifier: MIT */
/*
 * PIO and MMIO buses: devices register address ranges; vCPU exits (and the guest-driver
 * harness) are dispatched to the device owning the address. Ranges never overlap.
 * Thread-safe: lookups take a read lock, (un)registration a write lock. A device handler
 * runs without the bus lock held, so it may move its own ranges (PCI BAR reprogramming).
 */
#ifndef MICROVM_BUS_H
#define MICROVM_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct bus_ops {
	/* offset is relative to the range base; len is 1, 2, 4 or 8. data is little-endian bytes. */
	void (*read)(void *opaque, uint64_t offset, void *data, uint32_t len);
	void (*write)(void *opaque, uint64_t offset, const void *data, uint32_t len);
};

struct bus_range {
	uint64_t base;
	uint64_t len;
	const struct bus_ops *ops;
	void *opaque;
	const char *name;
};

struct bus {
	const char *name; /* "pio" or "mmio", for messages */
	pthread_rwlock_t lock;
	struct bus_range *ranges; /* sorted by base */
	unsigned int nr, cap;
};

void bus_init(struct bus *bus, const char *name);
void bus_destroy(struct bus *bus);
/* 0, -EINVAL (len 0 or wraps), -EEXIST (overlaps an existing range), -ENOMEM. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, const struct bus_ops *ops,
		 void *opaque, const char *name);
/* Removes the range starting at base owned by opaque. 0 or -ENOENT. */
int bus_unregister(struct bus *bus, uint64_t base, void *opaque);
/*
 * Dispatches an access. The access must lie entirely inside one range. Returns true if a device
 * handled it; false if no device claims it (reads then return all-ones, as on real hardware).
 */
bool bus_access(struct bus *bus, uint64_t addr, void *data, uint32_t len, bool is_write);
/* Looks up the range containing addr (copied into *out). For tests and diagnostics. */
bool bus_find(struct bus *bus, uint64_t addr, struct bus_range *out);

#endif
