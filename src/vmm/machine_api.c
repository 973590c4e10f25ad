// SPDX-License-Identifier: MIT
/*
 * The machine side of the control API (src/api/api.h): thin struct api_ops implementations over
 * the VM, its vCPUs and its devices. Called on the API thread.
 *
 * shutdown and reboot both end the VM as the guest's own poweroff/reboot does (exit status 0):
 * one VM per process, a supervisor restarts it. power-button waits for ACPI.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "arch/arch.h"
#include "api/api.h"
#include "config/config.h"
#include "vhost_user/shmem.h"
#include "vhost_user/vhost_user.h"
#include "virtio/blk.h"
#include "virtio/virtio_pci.h"
#include "legacy/acpi_pm.h"
#include "util/exit_codes.h"
#include "util/log.h"
#include "vmm/machine.h"
#include "kvm/exit_stats.h"
#include "kvm/vcpu.h"
#include "vmm/version.h"

/* A vCPU busy in a device transaction (vhost-user main socket: 5 s reply timeout) parks late. */
#define API_PAUSE_TIMEOUT_MS 6000

static int op_pause(void *ctx)
{
	struct machine *m = ctx;
	int ret = vcpus_pause(&m->vm, API_PAUSE_TIMEOUT_MS);

	if (!ret)
		pr_info("api: VM paused");
	return ret;
}

static int op_resume(void *ctx)
{
	struct machine *m = ctx;
	int ret = vm_stopping(&m->vm) ? -ESHUTDOWN : vcpus_resume(&m->vm);

	if (!ret)
		pr_info("api: VM resumed");
	return ret;
}

static int op_shutdown(void *ctx)
{
	struct machine *m = ctx;

	if (vm_stopping(&m->vm))
		return -ESHUTDOWN;
	pr_info("api: shutdown requested");
	vm_request_stop(&m->vm, EXIT_GUEST_OK);
	return 0;
}

static int op_reboot(void *ctx)
{
	struct machine *m = ctx;

	if (vm_stopping(&m->vm))
		return -ESHUTDOWN;
	pr_info("api: reboot requested (the VM ends as on a guest reboot)");
	vm_request_stop(&m->vm, EXIT_GUEST_OK);
	return 0;
}

int machine_power_button(struct machine *m)
{
	if (!ARCH_HAS_ACPI || !m->cfg->acpi)
		return -ENOTSUP;	/* MP table or device tree only: no GED, no button */
	return acpi_pm_power_button(&m->vm);
}

static int op_power_button(void *ctx)
{
	return machine_power_button(ctx);
}

static enum api_vm_state op_state(void *ctx)
{
	struct machine *m = ctx;

	if (vm_stopping(&m->vm))
		return API_VM_SHUTDOWN;
	return vcpus_paused(&m->vm) ? API_VM_PAUSED : API_VM_RUNNING;
}

static const struct vm_config *op_config(void *ctx)
{
	return ((struct machine *)ctx)->cfg;
}

static unsigned int op_nr_devices(void *ctx)
{
	return machine_nr_devices(ctx);
}

static int op_device(void *ctx, unsigned int i, struct api_device *out)
{
	enum machine_dev_kind kind;
	const char *path;
	struct virtio_device *dev = machine_device(ctx, i, &kind, &path);

	if (!dev)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->name = dev->name;
	out->virtio_id = dev->device_id;
	out->path = path;
	if (kind == MACHINE_DEV_BLK) {
		struct virtio_blk_stats st;

		out->kind = "virtio-blk";
		out->is_blk = true;
		virtio_blk_get_stats(dev, &st);
		out->blk.reads = st.ops[VIRTIO_BLK_STAT_READ];
		out->blk.writes = st.ops[VIRTIO_BLK_STAT_WRITE];
		out->blk.flushes = st.ops[VIRTIO_BLK_STAT_FLUSH];
		out->blk.discards = st.ops[VIRTIO_BLK_STAT_DISCARD];
		out->blk.write_zeroes = st.ops[VIRTIO_BLK_STAT_WRITE_ZEROES];
		out->blk.get_id = st.ops[VIRTIO_BLK_STAT_GET_ID];
		out->blk.unsupported = st.ops[VIRTIO_BLK_STAT_UNSUPPORTED];
		out->blk.read_bytes = st.read_bytes;
		out->blk.write_bytes = st.write_bytes;
		out->blk.io_errors = st.io_errors;
	} else if (kind == MACHINE_DEV_NET) {
		out->kind = "virtio-net";     /* counters: virtio_net_get_stats (not in the API yet) */
	} else {
		struct vu_dev *vu = to_vu_dev(dev);

		out->kind = kind == MACHINE_DEV_VHOST_USER_FS ? "vhost-user-fs" :
			    kind == MACHINE_DEV_VHOST_USER_NET ? "vhost-user-net" : "vhost-user";
		out->is_vhost_user = true;
		out->vu.connected = !vu_dead(vu);
		out->vu.requests = atomic_load(&vu->chan_requests);
		out->vu.refused = atomic_load(&vu->chan_failures);
		out->nr_shm = vu_shmem_count(vu);
		out->shm = vu->vdev.shm;
		for (unsigned int i = 0; i < out->nr_shm && i < sizeof(out->gpa) / sizeof(out->gpa[0]); i++)
			out->gpa[i] = virtio_pci_shm_gpa(&vu->vdev, i);
	}
	return 0;
}

static unsigned int op_nr_vcpus(void *ctx)
{
	return ((struct machine *)ctx)->vm.nr_vcpus;
}

static int op_vcpu(void *ctx, unsigned int i, struct api_vcpu *out)
{
	struct machine *m = ctx;
	struct vcpu *v;

	if (i >= m->vm.nr_vcpus)
		return -ENOENT;
	v = &m->vm.vcpus[i];
	memset(out, 0, sizeof(*out));
	out->id = v->id;
	out->exits = atomic_load(&v->exits);
	out->user_exits = atomic_load(&v->user_exits);
	if (v->stats) {		/* counted while the API is on (machine_run) */
		out->nr_reasons = EXIT_STATS_REASONS;
		out->reason_names = exit_stats_reason_names;
		for (unsigned int r = 0; r < EXIT_STATS_REASONS; r++)
			out->reasons[r] = __atomic_load_n(&v->stats->reason[r], __ATOMIC_RELAXED);
	}
	return 0;
}

static const struct api_ops machine_api_ops = {
	.pause = op_pause, .resume = op_resume, .shutdown = op_shutdown, .reboot = op_reboot,
	.power_button = op_power_button, .state = op_state, .config = op_config,
	.nr_devices = op_nr_devices, .device = op_device, .nr_vcpus = op_nr_vcpus,
	.vcpu = op_vcpu,
};

int machine_api_open(struct machine *m, const struct vm_config *cfg)
{
	struct api_vmm vmm = { .ops = &machine_api_ops, .ctx = m, .version = MICROVM_VERSION };
	char err[512];

	if (!cfg->api_socket)
		return 0;
	m->api = api_server_open(cfg->api_socket, &vmm, err, sizeof(err));
	if (!m->api) {
		int e = errno;

		pr_err("%s", err);
		return e == ENOMEM || e == EIO ? EXIT_HOST_ERROR : EXIT_CONFIG_ERROR;
	}
	return 0;
}

int machine_api_start(struct machine *m)
{
	char err[256];

	if (!m->api)
		return 0;
	if (api_server_start(m->api, err, sizeof(err))) {
		pr_err("%s", err);
		return -1;
	}
	pr_info("control API on %s", m->cfg->api_socket);
	return 0;
}

void machine_api_stop(struct machine *m)
{
	api_server_stop(m->api);
	m->api = NULL;
}
