/* SPDX-License-Identifier: MIT */
/*
 * Guest-driver test harness (in the spirit of QEMU's qtest).
 *
 * A harness is a machine without a guest: guest RAM, the PIO/MMIO buses and PCI bus 0
 * (vm_init_harness + pci_bus_create). Tests add devices, then act as the guest's driver through
 * the entry points a vCPU uses: port I/O (0xCF8/0xCFC config access), MMIO on BARs, guest RAM,
 * and interrupts observed on the MSI-X vectors' irqfd eventfds.
 *
 *   struct harness *h = harness_create(64 << 20);
 *   int slot = harness_add_blk(h, "/tmp/disk.img", false, "serial");
 *   struct hblk blk;
 *   hblk_init(&blk, h, slot, 1);            // negotiate, 1 queue, DRIVER_OK
 *   hblk_write(&blk, 0, sector, buf, 4096); // returns VIRTIO_BLK_S_* or -errno
 *   harness_destroy(h);
 *
 * Lower-level: struct hvirtio (any virtio-pci device: caps walk like Linux's virtio_pci_modern,
 * feature negotiation, queues in guest RAM, MSI-X vectors, kick, wait for used buffers) and the
 * raw ring accessors for malformed-ring tests. All functions are usable from one test thread.
 * Every function returning int returns >= 0 on success and -errno on failure.
 */
#ifndef MICROVM_TESTS_HARNESS_H
#define MICROVM_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci/pci.h"
#include "virtio/virtio_dev.h"
#include "kvm/vm.h"

#define HARNESS_ALLOC_BASE 0x100000ULL   /* the guest RAM allocator starts at 1 MiB */
#define HARNESS_MAX_DEVICES 16
#define HARNESS_TIMEOUT_MS 5000          /* default wait used by the convenience helpers */

struct harness {
	struct vm vm;
	struct pci_bus *pci;
	uint64_t alloc_next, alloc_end;      /* bump allocator over low guest RAM */
	struct {
		struct virtio_device *dev;
		void (*destroy)(struct virtio_device *dev);
	} devs[HARNESS_MAX_DEVICES];
	unsigned int nr_devs;
};

/* ---- machine ---- */
struct harness *harness_create(uint64_t ram_size);   /* NULL on failure (message printed) */
/* Guest RAM private anonymous THP, as a VM without vhost-user devices has it (benchmarks). */
struct harness *harness_create_anon(uint64_t ram_size);
/*
 * Same on a real KVM VM (vm_init: irqchip, RAM memslots, no vCPU): every ioeventfd, irqfd, GSI
 * route and memslot the devices register is a real KVM object, so tests can check them.
 * Accesses still go through the buses (no vCPU runs). NULL without /dev/kvm.
 */
struct harness *harness_create_kvm(uint64_t ram_size);
void harness_destroy(struct harness *h);             /* removes devices, then the machine */
/*
 * Plugs a virtio device into PCI bus 0; destroy (optional) runs at harness_destroy after the
 * bus is gone. Returns the PCI slot.
 */
int harness_add_virtio(struct harness *h, struct virtio_device *dev,
		       void (*destroy)(struct virtio_device *dev));
/* virtio-blk on a raw image (id may be NULL). Returns the PCI slot. */
int harness_add_blk(struct harness *h, const char *path, bool readonly, const char *id);
int harness_add_blk_mq(struct harness *h, const char *path, bool readonly, const char *id,
		       unsigned int nr_queues);
/* virtio-blk from a whole [[disk]] entry (e.g. ring_features = true). */
struct disk_config;
int harness_add_blk_cfg(struct harness *h, const struct disk_config *cfg, unsigned int nr_queues);

/*
 * A virtio device without behaviour (device id 26, features VERSION_1, bit 0 and bit 40
 * (RING_RESET, which the transport hides), 64-byte
 * config space that reads back what was written, real shm regions (src/mm/shm_region.h) with
 * ids 0, 6, 7... and the given sizes, 2 MiB multiples) recording what the transport calls: to
 * test the transport itself.
 */
struct hdummy {
	struct virtio_device dev;
	uint8_t config[64];
	uint64_t features;           /* last set_features */
	int activated, resets;
	bool refuse_features, fail_activate;
};
struct hdummy *hdummy_new(struct harness *h, unsigned int nr_queues, unsigned int nr_shm,
			  const uint64_t *shm_sizes);
void hdummy_free(struct virtio_device *dev);
/* hdummy_new + harness_add_virtio. Returns the slot, *out the device. */
int harness_add_dummy(struct harness *h, unsigned int nr_queues, unsigned int nr_shm,
		      const uint64_t *shm_sizes, struct hdummy **out);
struct hvirtio;
/*
 * The fixture of transport tests: harness_create(ram_size), a dummy with nr_queues queues and no
 * shm region, hvirtio_init on it. Sets *d, *slot and v; NULL on failure (message printed,
 * nothing left). Undo with harness_destroy_dummy (hvirtio_cleanup + harness_destroy).
 */
struct harness *harness_create_dummy(uint64_t ram_size, unsigned int nr_queues, struct hdummy **d,
				     int *slot, struct hvirtio *v);
void harness_destroy_dummy(struct harness *h, struct hvirtio *v);

/* ---- guest RAM ---- */
/* Zeroed guest memory, aligned (power of two); 0 when exhausted. */
uint64_t harness_alloc(struct harness *h, uint64_t size, uint64_t align);
/* Host pointer to [gpa, gpa + len) of guest RAM (NULL if not RAM). */
void *harness_ptr(struct harness *h, uint64_t gpa, uint64_t len);
void harness_memwrite(struct harness *h, uint64_t gpa, const void *buf, size_t len);
void harness_memread(struct harness *h, uint64_t gpa, void *buf, size_t len);

/* A temporary raw image of size bytes filled with harness_pattern_byte(seed, offset) (zeros if
 * seed is 0). Returns a malloc'ed path; unlink and free it. NULL on failure. */
char *harness_temp_image(uint64_t size, uint32_t seed);
static inline uint8_t harness_pattern_byte(uint32_t seed, uint64_t off)
{
	uint64_t x = (off + 1) * 0x9e3779b97f4a7c15ULL ^ seed;

	return (uint8_t)(x >> 29 ^ x >> 7);
}

/* ---- vCPU accesses (unclaimed reads return all-ones, as on hardware) ---- */
uint32_t harness_pio_read(struct harness *h, uint16_t port, unsigned int len);
void harness_pio_write(struct harness *h, uint16_t port, uint32_t val, unsigned int len);
uint64_t harness_mmio_read(struct harness *h, uint64_t addr, unsigned int len);
void harness_mmio_write(struct harness *h, uint64_t addr, uint64_t val, unsigned int len);

/* ---- PCI configuration space through 0xCF8/0xCFC (bus 0, function 0) ---- */
uint32_t pci_cfg_read(struct harness *h, unsigned int slot, unsigned int off, unsigned int len);
void pci_cfg_write(struct harness *h, unsigned int slot, unsigned int off, uint32_t val,
		   unsigned int len);
/* Same through ECAM (MMIO at LAYOUT_PCI_ECAM_BASE), offsets up to 4095. */
uint32_t pci_ecam_read(struct harness *h, unsigned int slot, unsigned int off, unsigned int len);
void pci_ecam_write(struct harness *h, unsigned int slot, unsigned int off, uint32_t val,
		    unsigned int len);
/* First slot >= from with this vendor/device (0xffff = any device), -ENOENT if none. */
int harness_pci_find(struct harness *h, uint16_t vendor, uint16_t device, unsigned int from);
/* Offset of the next capability cap_id after offset prev (0 = from the start), 0 if none. */
unsigned int harness_pci_find_cap(struct harness *h, unsigned int slot, uint8_t cap_id,
				  unsigned int prev);
/* Programmed address of a BAR (64-bit BARs combined). */
uint64_t harness_pci_bar_addr(struct harness *h, unsigned int slot, unsigned int bar);
/* Size by the sizing protocol (decoding off, write all-ones, read mask, restore). 0 = no BAR. */
uint64_t harness_pci_bar_size(struct harness *h, unsigned int slot, unsigned int bar);
/* Moves a BAR to addr with memory decoding disabled around the change. */
void harness_pci_bar_move(struct harness *h, unsigned int slot, unsigned int bar, uint64_t addr);

/* ---- virtio-pci driver ---- */
struct hvq {
	uint16_t size;
	uint64_t desc, avail, used;  /* ring gpas */
	uint64_t notify_addr;
	uint16_t vector;
	uint16_t avail_idx;          /* driver's shadow of avail->idx */
	uint16_t last_used;
	uint16_t free_head, num_free;
	uint16_t *next;              /* shadow free list / chain links */
	uint16_t *chain_len;         /* descriptors per in-flight head */
	uint16_t kicked_avail;       /* avail_idx at the last hvq_notify */
	bool ready;
};

struct hvirtio_shm {
	uint8_t id, bar;
	uint64_t offset, length;
};

struct hvirtio {
	struct harness *h;
	unsigned int slot;
	struct pci_dev *pdev;        /* only to observe MSI-X deliveries (msix_poll) */
	uint64_t common, isr, device, notify;  /* gpas of the structures */
	uint32_t notify_mult, device_len, notify_len;
	unsigned int msix_cap, nr_vectors;
	uint64_t msix_table;
	uint16_t config_vector;
	uint64_t features;           /* negotiated */
	unsigned int nr_queues;      /* num_queues register */
	struct hvq vq[VIRTIO_MAX_QUEUES];
	unsigned int nr_shm;
	struct hvirtio_shm shm[16];
};

struct hvbuf {
	uint64_t gpa;
	uint32_t len;
	bool write;                  /* device-writable */
};

/*
 * Finds the virtio capabilities exactly as Linux's virtio_pci_modern does (vendor caps, first
 * of each type, bar < 6, offset/length inside the BAR, alignment, minimum lengths; shm caps
 * with cap_len 24), enables memory decoding and bus mastering, and enables MSI-X with every
 * vector programmed and unmasked (vector n -> MSI data n). -ENODEV if a required cap is missing.
 */
int hvirtio_init(struct hvirtio *v, struct harness *h, unsigned int slot);
void hvirtio_cleanup(struct hvirtio *v);
uint8_t hvirtio_get_status(struct hvirtio *v);
void hvirtio_set_status(struct hvirtio *v, uint8_t status);
/* Writes 0 and waits for status to read back 0. */
int hvirtio_reset(struct hvirtio *v);
uint64_t hvirtio_device_features(struct hvirtio *v);
/* Reset, ACKNOWLEDGE|DRIVER, write features, FEATURES_OK and check it stuck (-EIO if not). */
int hvirtio_negotiate(struct hvirtio *v, uint64_t features);
/* Allocates rings in guest RAM (size 0 = device maximum), sets the vector and enables queue q. */
int hvirtio_setup_queue(struct hvirtio *v, unsigned int q, uint16_t size, uint16_t vector);
/* Sets msix_config (read back; VIRTIO_MSI_NO_VECTOR if refused). */
uint16_t hvirtio_set_config_vector(struct hvirtio *v, uint16_t vector);
void hvirtio_driver_ok(struct hvirtio *v);
/*
 * Convenience: negotiate features, config vector 0, queues 0..nr_queues-1 with vector q + 1,
 * DRIVER_OK. Returns 0 or -errno.
 */
int hvirtio_start(struct hvirtio *v, uint64_t features, unsigned int nr_queues);
uint32_t hvirtio_config_read(struct hvirtio *v, uint32_t off, unsigned int len);
void hvirtio_config_write(struct hvirtio *v, uint32_t off, uint32_t val, unsigned int len);
uint32_t hvirtio_common_read(struct hvirtio *v, uint32_t off, unsigned int len);
void hvirtio_common_write(struct hvirtio *v, uint32_t off, uint32_t val, unsigned int len);
uint8_t hvirtio_config_generation(struct hvirtio *v);
/* Waits until vector fires (delivered, i.e. unmasked). false on timeout. */
bool hvirtio_wait_vector(struct hvirtio *v, uint16_t vector, int timeout_ms);
/* Consumes a pending delivery of vector without waiting. */
bool hvirtio_vector_fired(struct hvirtio *v, uint16_t vector);

/* Rings. hvq_add puts a chain in the avail ring (no kick) and returns its head. */
int hvq_add(struct hvirtio *v, unsigned int q, const struct hvbuf *bufs, unsigned int n);
/* One slot pointing at an indirect table of n descriptors the caller wrote at table_gpa. */
int hvq_add_indirect(struct hvirtio *v, unsigned int q, uint64_t table_gpa, unsigned int n);
void hvq_kick(struct hvirtio *v, unsigned int q);
/*
 * Kicks only if the device wants it, as Linux's virtqueue_kick: VRING_USED_F_NO_NOTIFY, or with
 * EVENT_IDX whether avail_event lies in what was added since the last hvq_notify. True if kicked.
 */
bool hvq_notify(struct hvirtio *v, unsigned int q);
/* Next used element without waiting: head, or -EAGAIN. */
int hvq_get_used(struct hvirtio *v, unsigned int q, uint32_t *len);
/* Waits (on the queue's vector, or polling without one) for a used element: head or -ETIMEDOUT. */
int hvq_wait_used(struct hvirtio *v, unsigned int q, int timeout_ms, uint32_t *len);
/* Raw access for malformed-ring tests: descriptor i, and publishing any head value. */
struct vring_desc *hvq_desc(struct hvirtio *v, unsigned int q, unsigned int i);
void hvq_publish(struct hvirtio *v, unsigned int q, uint16_t head);
uint16_t hvq_used_idx(struct hvirtio *v, unsigned int q);
/*
 * VIRTIO_RING_F_EVENT_IDX fields: used_event (driver -> device: interrupt once the used index
 * passes idx; hvq_get_used sets it to the next element before reporting an empty ring) and
 * avail_event (device -> driver: the avail index the device wants a kick for).
 */
void hvq_set_used_event(struct hvirtio *v, unsigned int q, uint16_t idx);
uint16_t hvq_avail_event(struct hvirtio *v, unsigned int q);

/* ---- virtio-blk driver ---- */
struct hblk {
	struct hvirtio v;
	uint64_t capacity;           /* sectors */
	uint64_t hdr_area;           /* per-head request header + status slots */
	uint64_t bounce;             /* data bounce buffer for the synchronous helpers */
	uint64_t bounce_size;
	uint8_t last_status;
};

/* hvirtio_init + start with every offered feature but RO-independent ones (see .c). */
int hblk_init(struct hblk *b, struct harness *h, unsigned int slot, unsigned int nr_queues);
/* Synchronous requests on queue q: VIRTIO_BLK_S_* (>= 0) or -errno (timeout...). */
int hblk_read(struct hblk *b, unsigned int q, uint64_t sector, void *buf, uint32_t len);
int hblk_write(struct hblk *b, unsigned int q, uint64_t sector, const void *buf, uint32_t len);
int hblk_flush(struct hblk *b, unsigned int q);
int hblk_get_id(struct hblk *b, unsigned int q, char id[20]);
int hblk_discard(struct hblk *b, unsigned int q, uint64_t sector, uint32_t nr_sectors,
		 bool write_zeroes, bool unmap);
/* Asynchronous: data at data_gpa (guest RAM). Returns the head (token). */
int hblk_submit(struct hblk *b, unsigned int q, uint32_t type, uint64_t sector, uint64_t data_gpa,
		uint32_t len);
/* Same without the kick (batches: kick once with hvq_kick or hvq_notify). */
int hblk_queue(struct hblk *b, unsigned int q, uint32_t type, uint64_t sector, uint64_t data_gpa,
	       uint32_t len);
/* Waits for one completion: head, *status set. */
int hblk_complete(struct hblk *b, unsigned int q, int timeout_ms, uint8_t *status);

/* ---- virtio-net driver (harness_net.c) ---- */
struct net_config;
struct virtio_net_hdr_mrg_rxbuf;
/* virtio-net on TAP cfg->tap (src/virtio/net.h; MAC seed "harness"). Returns the slot. */
int harness_add_net(struct harness *h, const struct net_config *cfg);
struct hnet {
	struct hvirtio v;
	unsigned int nr_queues;
	uint64_t tx_area;            /* 128 KiB: header + frame of hnet_send */
	uint64_t *rx_gpa[VIRTIO_MAX_QUEUES];  /* buffer gpa per RX head */
	uint32_t rx_size[VIRTIO_MAX_QUEUES];
};
/* hvirtio_init + negotiate features (must be offered) + queues 0..nr_queues-1 + DRIVER_OK. */
int hnet_init(struct hnet *n, struct harness *h, unsigned int slot, uint64_t features,
	      unsigned int nr_queues);
void hnet_cleanup(struct hnet *n);
/* Posts count device-writable buffers of size bytes on RX queue q (one chain each) and kicks. */
int hnet_post_rx(struct hnet *n, unsigned int q, unsigned int count, uint32_t size);
/*
 * Waits for one frame on RX queue q: copies the header to *hdr and the frame (after the header,
 * gathered over num_buffers chains) to buf. Returns the frame length or -errno (-ETIMEDOUT).
 */
int hnet_recv(struct hnet *n, unsigned int q, struct virtio_net_hdr_mrg_rxbuf *hdr, void *buf,
	      size_t max, int timeout_ms);
/*
 * Sends header + frame on TX queue q as a chain of 1 + nsegs readable buffers, kicks and waits
 * for it to be used. 0 or -errno.
 */
int hnet_send(struct hnet *n, unsigned int q, const struct virtio_net_hdr_mrg_rxbuf *hdr,
	      const void *frame, size_t len, unsigned int nsegs, int timeout_ms);

#endif
