// SPDX-License-Identifier: MIT
/* MSI-X capability, table, PBA, vector masking and irqfd attachment. */
#include "pci/msix.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pci/pci.h"
#include "util/err.h"
#include "util/log.h"
#include "kvm/vm.h"

#define MSIX_ENTRY_SIZE 16

/* Reads and clears the eventfd counter; true if it was non-zero. */
static bool drain_fd(int fd)
{
	uint64_t cnt;

	return read(fd, &cnt, sizeof(cnt)) == sizeof(cnt) && cnt > 0;
}

static void kick_fd(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		pr_warn_rl("msix: eventfd write failed");
}

static bool should_be_live(const struct msix *m, const struct msix_vector *v)
{
	return m->enabled && !m->fmask && !(v->ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT) && v->gsi >= 0;
}

static void update_route(struct msix *m, struct msix_vector *v)
{
	uint64_t addr = (uint64_t)v->addr_hi << 32 | v->addr_lo;

	/* requester id: bus 0, function 0 of the device's slot */
	if (vm_gsi_set_msi(m->vm, v->gsi, addr, v->data, (uint32_t)m->pdev->slot << 3) < 0)
		pr_warn_rl("msix: %s: cannot route vector to MSI 0x%llx/0x%x", m->pdev->name,
			   (unsigned long long)addr, v->data);
	v->routed = true;
}

/* Attaches or detaches the vector's irqfd to match its mask state. Caller holds m->lock. */
static void sync_vector(struct msix *m, struct msix_vector *v)
{
	bool live = should_be_live(m, v);

	if (live && !v->routed)
		update_route(m, v);
	if (live == v->live)
		return;
	if (live) {
		if (vm_irqfd(m->vm, v->fd, v->gsi, true) < 0)
			pr_warn_rl("msix: %s: cannot attach irqfd", m->pdev->name);
		v->live = true;
		/* Latched or queued events are delivered now (KVM checks the counter on attach). */
		if (v->pending) {
			v->pending = false;
			kick_fd(v->fd);
		}
	} else {
		vm_irqfd(m->vm, v->fd, v->gsi, false);
		v->live = false;
	}
}

static void sync_all(struct msix *m)
{
	for (unsigned int i = 0; i < m->nr; i++)
		sync_vector(m, &m->v[i]);
}

static void table_read(struct msix *m, uint64_t off, void *data, uint32_t len)
{
	unsigned int idx = (unsigned int)(off / MSIX_ENTRY_SIZE);
	uint32_t field = (uint32_t)(off % MSIX_ENTRY_SIZE) / 4;
	struct msix_vector *v;
	uint32_t words[4];

	if (idx >= m->nr || (len != 4 && len != 8) || (off & (len - 1))) {
		memset(data, 0, len);
		return;
	}
	v = &m->v[idx];
	words[0] = v->addr_lo;
	words[1] = v->addr_hi;
	words[2] = v->data;
	words[3] = v->ctrl;
	pci_le_put(data, words[field], 4);
	if (len == 8)
		pci_le_put((uint8_t *)data + 4, words[field + 1], 4);
}

static void table_write_word(struct msix *m, struct msix_vector *v, uint32_t field, uint32_t val)
{
	switch (field) {
	case 0:
		v->routed = v->routed && v->addr_lo == (val & ~3u);
		v->addr_lo = val & ~3u;
		break;
	case 1:
		v->routed = v->routed && v->addr_hi == val;
		v->addr_hi = val;
		break;
	case 2:
		v->routed = v->routed && v->data == val;
		v->data = val;
		break;
	default:
		v->ctrl = val & PCI_MSIX_ENTRY_CTRL_MASKBIT;
		break;
	}
	/* A live vector whose message changed is re-routed immediately. */
	if (v->live && !v->routed)
		update_route(m, v);
	sync_vector(m, v);
}

static void table_write(struct msix *m, uint64_t off, const void *data, uint32_t len)
{
	unsigned int idx = (unsigned int)(off / MSIX_ENTRY_SIZE);
	uint32_t field = (uint32_t)(off % MSIX_ENTRY_SIZE) / 4;

	if (idx >= m->nr || (len != 4 && len != 8) || (off & (len - 1)))
		return;
	table_write_word(m, &m->v[idx], field, pci_le_get(data, 4));
	if (len == 8)
		table_write_word(m, &m->v[idx], field + 1, pci_le_get((const uint8_t *)data + 4, 4));
}

/* Latches queued events of non-live vectors into their pending bits. Caller holds m->lock. */
static void latch_pending(struct msix_vector *v)
{
	if (!v->live && drain_fd(v->fd))
		v->pending = true;
}

static void pba_read(struct msix *m, uint64_t off, void *data, uint32_t len)
{
	uint8_t *out = data;

	memset(data, 0, len);
	for (uint32_t i = 0; i < len; i++) {
		for (unsigned int b = 0; b < 8; b++) {
			uint64_t idx = (off + i) * 8 + b;

			if (idx >= m->nr)
				continue;
			latch_pending(&m->v[idx]);
			if (m->v[idx].pending)
				out[i] |= (uint8_t)(1u << b);
		}
	}
}

static void bar_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct msix *m = opaque;

	pthread_mutex_lock(&m->lock);
	if (off < MSIX_PBA_OFFSET)
		table_read(m, off - MSIX_TABLE_OFFSET, data, len);
	else
		pba_read(m, off - MSIX_PBA_OFFSET, data, len);
	pthread_mutex_unlock(&m->lock);
}

static void bar_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct msix *m = opaque;

	pthread_mutex_lock(&m->lock);
	if (off < MSIX_PBA_OFFSET)
		table_write(m, off - MSIX_TABLE_OFFSET, data, len);
	/* The PBA is read-only. */
	pthread_mutex_unlock(&m->lock);
}

static const struct bus_ops msix_bar_ops = { .read = bar_read, .write = bar_write };

void msix_cfg_written(struct msix *m, uint32_t offset, uint32_t len)
{
	uint32_t ctrl_off = (uint32_t)m->cap + PCI_MSIX_FLAGS;
	uint16_t ctrl;

	if (offset >= ctrl_off + 2 || offset + len <= ctrl_off)
		return;
	ctrl = (uint16_t)pci_le_get(&m->pdev->cfg[ctrl_off], 2);
	pthread_mutex_lock(&m->lock);
	m->enabled = ctrl & PCI_MSIX_FLAGS_ENABLE;
	m->fmask = ctrl & PCI_MSIX_FLAGS_MASKALL;
	sync_all(m);
	pthread_mutex_unlock(&m->lock);
}

static int add_cap(struct msix *m)
{
	uint8_t cap[12] = { PCI_CAP_ID_MSIX, 0 };

	pci_le_put(&cap[PCI_MSIX_FLAGS], m->nr - 1, 2);
	pci_le_put(&cap[PCI_MSIX_TABLE], MSIX_TABLE_OFFSET | (uint32_t)m->bar, 4);
	pci_le_put(&cap[PCI_MSIX_PBA], MSIX_PBA_OFFSET | (uint32_t)m->bar, 4);
	m->cap = pci_dev_add_cap(m->pdev, cap, sizeof(cap));
	if (m->cap < 0)
		return m->cap;
	pci_le_put(&m->pdev->wmask[m->cap + PCI_MSIX_FLAGS],
		   PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
	return 0;
}

static int init_vector(struct msix *m, struct msix_vector *v)
{
	v->ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	v->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (v->fd < 0)
		return -errno;
	v->gsi = vm_gsi_alloc(m->vm);
	if (v->gsi < 0) {
		close(v->fd);
		return v->gsi;
	}
	return 0;
}

struct msix *msix_init(struct pci_dev *pdev, struct vm *vm, unsigned int nr_vectors, int bar,
		       char *err, size_t errlen)
{
	struct msix *m;

	if (nr_vectors == 0 || nr_vectors > MSIX_MAX_VECTORS) {
		err_fmt(err, errlen, 0, "msix: %u vectors (1..%u)", nr_vectors, MSIX_MAX_VECTORS);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (m)
		m->v = calloc(nr_vectors, sizeof(*m->v));
	if (!m || !m->v) {
		free(m);
		err_fmt(err, errlen, 0, "msix: out of memory");
		return NULL;
	}
	m->vm = vm;
	m->pdev = pdev;
	m->bar = bar;
	pthread_mutex_init(&m->lock, NULL);
	for (m->nr = 0; m->nr < nr_vectors; m->nr++) {
		if (init_vector(m, &m->v[m->nr]) < 0) {
			err_fmt(err, errlen, 0, "msix: cannot set up vector %u (eventfd or GSI)",
				m->nr);
			msix_destroy(m);
			return NULL;
		}
	}
	if (add_cap(m) < 0 ||
	    pci_dev_set_bar(pdev, bar, PCI_BAR_MEM32, MSIX_BAR_SIZE, &msix_bar_ops, m) < 0) {
		err_fmt(err, errlen, 0, "msix: no room for the capability or BAR %d", bar);
		msix_destroy(m);
		return NULL;
	}
	pdev->msix = m;
	return m;
}

void msix_destroy(struct msix *m)
{
	if (!m)
		return;
	for (unsigned int i = 0; i < m->nr; i++) {
		struct msix_vector *v = &m->v[i];

		if (v->live)
			vm_irqfd(m->vm, v->fd, v->gsi, false);
		if (v->gsi >= 0)
			vm_gsi_free(m->vm, v->gsi);
		close(v->fd);
	}
	if (m->pdev && m->pdev->msix == m)
		m->pdev->msix = NULL;
	pthread_mutex_destroy(&m->lock);
	free(m->v);
	free(m);
}

int msix_vector_fd(struct msix *m, unsigned int v)
{
	return m && v < m->nr ? m->v[v].fd : -1;
}

bool msix_poll(struct msix *m, unsigned int idx)
{
	struct msix_vector *v;
	bool delivered = false;

	if (!m || idx >= m->nr)
		return false;
	pthread_mutex_lock(&m->lock);
	v = &m->v[idx];
	if (v->live)
		delivered = drain_fd(v->fd);
	else
		latch_pending(v);
	pthread_mutex_unlock(&m->lock);
	return delivered;
}

bool msix_pending(struct msix *m, unsigned int idx)
{
	bool p;

	if (!m || idx >= m->nr)
		return false;
	pthread_mutex_lock(&m->lock);
	latch_pending(&m->v[idx]);
	p = m->v[idx].pending;
	pthread_mutex_unlock(&m->lock);
	return p;
}

bool msix_vector_live(struct msix *m, unsigned int idx)
{
	bool live;

	if (!m || idx >= m->nr)
		return false;
	pthread_mutex_lock(&m->lock);
	live = m->v[idx].live;
	pthread_mutex_unlock(&m->lock);
	return live;
}

void msix_drain(struct msix *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	for (unsigned int i = 0; i < m->nr; i++) {
		drain_fd(m->v[i].fd);
		m->v[i].pending = false;
	}
	pthread_mutex_unlock(&m->lock);
}
