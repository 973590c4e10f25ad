// SPDX-License-Identifier: MIT
#include "vmm/machine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "arch/arch.h"
#include "config/config.h"
#include "security/privileges.h"
#include "security/seccomp.h"
#include "legacy/boot_timer.h"
#include "util/clock.h"
#include "util/exit_codes.h"
#include "kvm/exit_stats.h"
#include "util/file_map.h"
#include "legacy/i8042.h"
#include "util/log.h"
#include "util/worker.h"
#include "vmm/main_loop.h"
#include "util/term.h"
#include "kvm/vcpu.h"

#define KERNEL_MAX_SIZE (512ULL << 20)

/* Guest RAM must fit in what the host has: refuse configs that could only end in the OOM killer. */
static int check_host_memory(uint64_t memory)
{
	struct sysinfo si;
	uint64_t host;

	if (sysinfo(&si) < 0)
		return 0;
	host = ((uint64_t)si.totalram + si.totalswap) * si.mem_unit;
	if (memory > host) {
		pr_err("memory = %llu MiB is more than this host has (%llu MiB of RAM and swap)",
		       (unsigned long long)(memory >> 20), (unsigned long long)(host >> 20));
		return -1;
	}
	return 0;
}

static int load_boot(struct machine *m, const struct vm_config *cfg)
{
	struct file_map kernel = { 0 }, initrd = { 0 };
	char err[512];
	struct boot_config bc = { .cmdline = cfg->cmdline, .nr_vcpus = cfg->vcpus };
	int ret = EXIT_CONFIG_ERROR;

	if (file_map_open(&kernel, "kernel", cfg->kernel, KERNEL_MAX_SIZE, err, sizeof(err))) {
		pr_err("%s", err);
		return EXIT_CONFIG_ERROR;
	}
	if (cfg->initrd && file_map_open(&initrd, "initrd", cfg->initrd, cfg->memory, err, sizeof(err))) {
		pr_err("%s", err);
		goto out;
	}
	bc.kernel = kernel.data;
	bc.kernel_size = kernel.size;
	bc.initrd = initrd.data;
	bc.initrd_size = initrd.size;
	if (boot_setup(&m->vm.mem, &bc, &m->boot, err, sizeof(err))) {
		pr_err("kernel '%s': %s", cfg->kernel, err);
		goto out;
	}
	pr_debug("kernel loaded at 0x%llx-0x%llx, entry 0x%llx (%s)",
		 (unsigned long long)m->boot.kernel_start, (unsigned long long)m->boot.kernel_end,
		 (unsigned long long)m->boot.rip, BOOT_PROTOCOL_NAME(&m->boot));
	ret = 0;
out:
	file_map_close(&kernel);
	file_map_close(&initrd);
	return ret;
}

/* Whether a vhost-user device may reconnect: only then do filters allow new sockets. */
static bool needs_reconnect(const struct vm_config *cfg)
{
	for (unsigned int i = 0; i < cfg->nr_fs; i++)
		if (cfg->fs[i].reconnect_ms)
			return true;
	for (unsigned int i = 0; i < cfg->nr_vhost_user; i++)
		if (cfg->vhost_user[i].reconnect_ms)
			return true;
	for (unsigned int i = 0; i < cfg->nr_vu_net; i++)
		if (cfg->vu_net[i].reconnect_ms)
			return true;
	return false;
}

/* [machine] memory_backing: auto keeps guest RAM private (THP) unless a vhost-user back-end
 * maps it. */
static enum guest_mem_backing ram_backing(const struct vm_config *cfg)
{
	switch (cfg->memory_backing) {
	case MEMORY_BACKING_ANONYMOUS: return GUEST_MEM_ANON;
	case MEMORY_BACKING_MEMFD: return GUEST_MEM_MEMFD;
	case MEMORY_BACKING_HUGETLB: return GUEST_MEM_HUGETLB;
	default: return config_needs_shared_ram(cfg) ? GUEST_MEM_MEMFD : GUEST_MEM_ANON;
	}
}

int machine_create(struct machine *m, const struct vm_config *cfg, uint64_t t0_ns)
{
	char err[512];
	int ret;

	memset(m, 0, sizeof(*m));
	m->t0_ns = t0_ns;
	m->cfg = cfg;
	m->vm.vm_fd = m->vm.kvm_fd = m->vm.stop_fd = -1;
	m->vm.mem.fd = -1;
	if (security_check_privileges(cfg))
		return EXIT_CONFIG_ERROR;
	seccomp_set_mode(cfg->seccomp);
	worker_set_init_hook(seccomp_enter_role);   /* every worker enters its role's filter */
	seccomp_set_reconnect(needs_reconnect(cfg));
	if (check_host_memory(cfg->memory))
		return EXIT_CONFIG_ERROR;
	ret = vm_init(&m->vm, cfg->memory, ram_backing(cfg), err, sizeof(err));
	if (ret < 0) {
		pr_err("%s", err);
		return ret == -EINVAL ? EXIT_CONFIG_ERROR : EXIT_HOST_ERROR;
	}
	pr_debug("guest RAM: %s", guest_mem_backing_name(m->vm.mem.backing));
	ret = load_boot(m, cfg);
	if (ret)
		return ret;
	if (serial_init(&m->serial, &m->vm, STDOUT_FILENO) ||
	    (ARCH_HAS_PIO && (i8042_init(&m->vm) || boot_timer_init(&m->vm, t0_ns)))) {
		pr_err("cannot register the legacy devices");
		return EXIT_HOST_ERROR;
	}
	/*
	 * [security] uid/gid: /dev/kvm is open and the kernel loaded; disks and backend sockets are
	 * opened as the unprivileged user. No thread exists yet (glibc applies set*id to every
	 * thread, which the per-thread seccomp filters would refuse).
	 */
	if (cfg->uid != CONFIG_ID_KEEP) {
		ret = security_drop_privileges(cfg->uid, cfg->gid);
		if (ret) {
			pr_err("cannot drop privileges to uid %u gid %u: %s", cfg->uid, cfg->gid,
			       strerror(-ret));
			return EXIT_HOST_ERROR;
		}
		pr_info("running as uid %u gid %u", cfg->uid, cfg->gid);
	}
	ret = machine_devices_create(m, cfg);
	if (ret)
		return ret;
	ret = vcpus_create(&m->vm, cfg->vcpus);
	if (ret)
		return ret == -EINVAL ? EXIT_CONFIG_ERROR : EXIT_HOST_ERROR;
	ret = vcpu_boot_setup(&m->vm.vcpus[0], &m->boot);
	if (ret) {
		pr_err("cannot set the boot CPU state: %s", strerror(-ret));
		return EXIT_HOST_ERROR;
	}
	return machine_api_open(m, cfg);
}

/* "RssAnon: 123 kB" -> 123; 0 when absent. */
static unsigned long status_kib(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtoul(p + strlen(key), NULL, 10) : 0;
}

/*
 * Memory report: guest RAM shows as RssShmem (memfd) or RssAnon (anonymous); the VMM's own
 * footprint is the rest of RssAnon + RssFile + RssShmem. Logged at info level (-v); the boot
 * benchmark reads this line.
 */
static void report_memory(const struct guest_mem *gm)
{
	unsigned long ram, all;
	char buf[4096];
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	ram = guest_mem_resident_kib(gm);
	all = status_kib(buf, "RssAnon:") + status_kib(buf, "RssFile:") + status_kib(buf, "RssShmem:");
	pr_info("memory: vmm %lu KiB (anon %lu + file %lu + shmem %lu - guest RAM), guest RAM touched %lu KiB (%s), peak RSS %lu KiB",
		all > ram ? all - ram : 0, status_kib(buf, "RssAnon:"), status_kib(buf, "RssFile:"),
		status_kib(buf, "RssShmem:"), ram, guest_mem_backing_name(gm->backing),
		status_kib(buf, "VmHWM:"));
}

int machine_run(struct machine *m, uint64_t timeout_ms)
{
	int status;

	if (main_loop_block_signals())
		pr_warn("cannot block stop signals");
	if ((log_get_level() >= LOG_INFO || m->cfg->api_socket) && exit_stats_enable(&m->vm))
		pr_warn("out of memory for the exit counters");
	term_raw_enter();
	if (vcpus_start(&m->vm)) {
		vcpus_stop(&m->vm);
		term_restore();
		return EXIT_HOST_ERROR;
	}
	if (machine_api_start(m)) {
		vm_request_stop(&m->vm, EXIT_HOST_ERROR);
		vcpus_stop(&m->vm);
		term_restore();
		return EXIT_HOST_ERROR;
	}
	worker_enter_role(THREAD_ROLE_MAIN);
	status = main_loop_run(&m->vm, &m->serial, timeout_ms);
	machine_api_stop(m);
	vcpus_stop(&m->vm);
	term_restore();
	if (log_get_level() >= LOG_INFO) {
		unsigned long exits = 0, user = 0;

		if (status == EXIT_TIMEOUT || status == EXIT_SIGNAL)
			vcpus_dump(&m->vm);

		for (unsigned int i = 0; i < m->vm.nr_vcpus; i++) {
			exits += atomic_load(&m->vm.vcpus[i].exits);
			user += atomic_load(&m->vm.vcpus[i].user_exits);
		}
		pr_info("guest stopped with status %d after %llu ms (%lu KVM exits, %lu handled in microvm)",
			status, (unsigned long long)((monotonic_ns() - m->t0_ns) / 1000000), exits, user);
		exit_stats_report(&m->vm);
		report_memory(&m->vm.mem);
	}
	return status;
}

void machine_destroy(struct machine *m)
{
	machine_api_stop(m);
	machine_devices_destroy(m);
	vcpus_destroy(&m->vm);
	vm_destroy(&m->vm);
}
