// SPDX-License-Identifier: MIT
/* Guest-driver harness: a virtio device without behaviour, to test the transport itself. */
#include "harness.h"

#include <linux/virtio_config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/shm_region.h"

static struct hdummy *to_dummy(struct virtio_device *dev)
{
	return dev->priv;
}

static void dummy_config_read(struct virtio_device *dev, uint32_t off, void *data, uint32_t len)
{
	memcpy(data, to_dummy(dev)->config + off, len);
}

static void dummy_config_write(struct virtio_device *dev, uint32_t off, const void *data,
			       uint32_t len)
{
	memcpy(to_dummy(dev)->config + off, data, len);
}

static int dummy_set_features(struct virtio_device *dev, uint64_t features)
{
	to_dummy(dev)->features = features;
	return to_dummy(dev)->refuse_features ? -1 : 0;
}

static int dummy_activate(struct virtio_device *dev)
{
	to_dummy(dev)->activated++;
	return to_dummy(dev)->fail_activate ? -1 : 0;
}

static void dummy_reset(struct virtio_device *dev)
{
	to_dummy(dev)->resets++;
}

static const struct virtio_device_ops dummy_ops = {
	.config_read = dummy_config_read, .config_write = dummy_config_write,
	.set_features = dummy_set_features, .activate = dummy_activate, .reset = dummy_reset,
};

struct hdummy *hdummy_new(struct harness *h, unsigned int nr_queues, unsigned int nr_shm,
			  const uint64_t *shm_sizes)
{
	struct hdummy *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->dev = (struct virtio_device){
		.name = "dummy", .device_id = 26,
		.host_features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << 0 | 1ULL << 40,
		.config_size = sizeof(d->config), .nr_queues = nr_queues, .max_queue_size = 64,
		.ops = &dummy_ops, .priv = d, .vm = &h->vm, .nr_shm = nr_shm,
	};
	for (unsigned int i = 0; i < nr_shm; i++) {
		struct shm_region *r = calloc(1, sizeof(*r));

		if (r && shm_region_init(r, (uint8_t)(i == 0 ? 0 : 5 + i), shm_sizes[i], 0, 0)) {
			free(r);
			r = NULL;
		}
		d->dev.shm[i] = r;
	}
	return d;
}

void hdummy_free(struct virtio_device *dev)
{
	for (unsigned int i = 0; i < dev->nr_shm; i++) {
		if (dev->shm[i])
			shm_region_destroy(dev->shm[i]);
		free(dev->shm[i]);
	}
	free(dev->priv);
}

int harness_add_dummy(struct harness *h, unsigned int nr_queues, unsigned int nr_shm,
		      const uint64_t *shm_sizes, struct hdummy **out)
{
	struct hdummy *d = hdummy_new(h, nr_queues, nr_shm, shm_sizes);
	int slot;

	if (!d)
		return -1;
	slot = harness_add_virtio(h, &d->dev, hdummy_free);
	if (slot < 0) {
		hdummy_free(&d->dev);
		return slot;
	}
	*out = d;
	return slot;
}

struct harness *harness_create_dummy(uint64_t ram_size, unsigned int nr_queues, struct hdummy **d,
				     int *slot, struct hvirtio *v)
{
	struct harness *h = harness_create(ram_size);
	int ret;

	if (!h)
		return NULL;
	*slot = harness_add_dummy(h, nr_queues, 0, NULL, d);
	if (*slot <= 0) {
		fprintf(stderr, "harness: harness_add_dummy: %d\n", *slot);
		harness_destroy(h);
		return NULL;
	}
	ret = hvirtio_init(v, h, (unsigned int)*slot);
	if (ret) {
		fprintf(stderr, "harness: hvirtio_init: %d\n", ret);
		hvirtio_cleanup(v);
		harness_destroy(h);
		return NULL;
	}
	return h;
}

void harness_destroy_dummy(struct harness *h, struct hvirtio *v)
{
	hvirtio_cleanup(v);
	harness_destroy(h);
}
