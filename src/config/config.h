/* SPDX-License-Identifier: MIT */
/* vm.toml: the machine description. Parsed by config.c on top of the in-house TOML parser. */
#ifndef MICROVM_CONFIG_H
#define MICROVM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum seccomp_mode { SECCOMP_ENFORCE, SECCOMP_LOG, SECCOMP_OFF };
/* [machine] host_quirks: which host-KVM workarounds go on the guest command line. */
enum host_quirks { HOST_QUIRKS_AUTO, HOST_QUIRKS_NONE, HOST_QUIRKS_KVM_PVM };

/* [machine] memory_backing: guest RAM (src/mm/guest_mem.h). auto = anonymous (transparent huge
 * pages) unless a vhost-user device needs the RAM fd, then memfd. */
enum memory_backing { MEMORY_BACKING_AUTO, MEMORY_BACKING_ANONYMOUS, MEMORY_BACKING_MEMFD,
		      MEMORY_BACKING_HUGETLB };
/* [[disk]] io: the I/O back-end; AUTO (not set) = io_uring, or sync where io_uring is refused. */
enum disk_io { DISK_IO_AUTO, DISK_IO_SYNC, DISK_IO_URING };
/* [[disk]] cache: "host" (the host page cache, default) or "direct" (O_DIRECT). */
enum disk_cache { DISK_CACHE_HOST, DISK_CACHE_DIRECT };
#define DISK_POLL_US_DEFAULT 0    /* [[disk]] poll_us: I/O thread busy-poll budget after work */
#define DISK_POLL_US_MAX 1000

struct disk_config {
	char *path;
	bool readonly;
	char *id;                 /* serial reported by GET_ID; NULL = none */
	bool ring_features;       /* also offer RING_EVENT_IDX + RING_INDIRECT_DESC */
	enum disk_io io;
	enum disk_cache cache;
	uint32_t poll_us;         /* 0 = never poll; zero-initialised structs (harness) do not */
};

/* Where a key was set in the config file (line 0: not set there, the default). */
struct config_pos {
	int line, col;
};

struct vhost_user_fs_config {
	char *socket;
	char *tag;
	uint32_t num_request_queues; /* default 1 */
	uint32_t queue_size;         /* default 1024, power of two */
	uint64_t cache_size;         /* DAX window bytes, 0 = none, multiple of 2 MiB */
	uint32_t reconnect_ms;       /* 0 = no reconnect */
	uint32_t connect_timeout_ms; /* default 5000 */
	struct config_pos cache_size_pos; /* for errors found after parsing (BAR placement) */
};

struct vhost_user_config {
	char *socket;
	uint32_t virtio_id;
	uint32_t num_queues;
	uint32_t queue_size;         /* default 256 */
	uint32_t config_size;        /* default 0 */
	uint32_t reconnect_ms;
	uint32_t connect_timeout_ms;
};

/* [[net]]: built-in virtio-net over a TAP (src/virtio/net.h). */
struct net_config {
	char *tap;                   /* interface name; opened, or created when microvm may */
	char *mac;                   /* NULL = derived from the config path and the index */
	uint32_t mtu;                /* default 1500 (68..65535) */
	uint32_t queues;             /* queue pairs, default 1 (1..8; > 1: IFF_MULTI_QUEUE) */
};

/* [[vhost_user_net]]: virtio-net whose data path is a vhost-user back-end (src/vhost_user/net.c). */
struct vhost_user_net_config {
	char *socket;
	char *mac;                   /* "52:54:00:12:34:56"; NULL = derived from the socket path */
	uint32_t queues;             /* queue pairs, default 1 */
	uint32_t queue_size;         /* default 256, power of two */
	uint32_t mtu;                /* 0 = not advertised */
	uint32_t reconnect_ms;
	uint32_t connect_timeout_ms;
};

struct vm_config {
	char *source;                /* config file path, for messages */
	/* [machine] */
	uint64_t memory;             /* bytes, default 512 MiB */
	uint32_t vcpus;              /* default 1 */
	enum host_quirks host_quirks; /* default auto (detected at run time, src/vmm/host_quirks.c) */
	bool acpi;                   /* default true: ACPI tables besides the MP table */
	enum memory_backing memory_backing; /* default auto */
	/* [kernel] */
	char *kernel;                /* path (resolved relative to the config file) */
	char *initrd;                /* NULL = none */
	char *cmdline;               /* default "console=ttyS0" */
	/* devices */
	struct disk_config *disks;
	unsigned int nr_disks;
	struct vhost_user_fs_config *fs;
	unsigned int nr_fs;
	struct vhost_user_config *vhost_user;
	unsigned int nr_vhost_user;
	struct net_config *nets;
	unsigned int nr_nets;
	struct vhost_user_net_config *vu_net;
	unsigned int nr_vu_net;
	/* [security] */
	enum seccomp_mode seccomp;   /* default enforce */
	uint32_t uid;                /* run as this user after opening /dev/kvm and loading the */
	uint32_t gid;                /* kernel; CONFIG_ID_KEEP (default) = do not drop */
	/* [api] */
	char *api_socket;            /* control API UNIX socket; NULL = no API */
};

/* Fills defaults (no kernel). */
void config_init(struct vm_config *cfg);
/*
 * Parses vm.toml text. filename is used in messages and to resolve relative paths (its
 * directory). On error returns -1 and writes one line "file:line:col: message" into err.
 */
int config_parse(struct vm_config *cfg, const char *text, size_t len, const char *filename,
		 char *err, size_t errlen);
/* Reads and parses a file (refuses directories, unreadable files). Same error contract. */
int config_load(struct vm_config *cfg, const char *path, char *err, size_t errlen);
/* Checks cross-field constraints after overrides (kernel set, memory/vcpus ranges). */
int config_validate(const struct vm_config *cfg, char *err, size_t errlen);
/* Whether a device hands guest RAM to another process (every vhost-user kind): RAM needs an fd. */
bool config_needs_shared_ram(const struct vm_config *cfg);
void config_free(struct vm_config *cfg);

/*
 * "512M", "2G", "4096", "1_048_576", "64K", "1T" (binary units K/M/G/T, either case,
 * optionally followed by "iB"). Returns 0, or -1 on malformed input or overflow.
 */
int parse_size(const char *s, uint64_t *out);
/* Shortest exact form of a size: 0, 4K, 16M, 1T, or plain bytes ("12345"). */
void format_size(uint64_t v, char *buf, size_t len);

/*
 * Every string in struct vm_config is heap-owned and freed by config_free(). Overrides
 * (--kernel, --cmdline, ...) must go through this: frees the old value, stores a copy.
 * Returns 0 or -ENOMEM.
 */
int config_set_str(char **field, const char *value);
/* "enforce" | "log" | "off" (vm.toml [security] seccomp, --seccomp) -> *mode; else -EINVAL. */
int config_parse_seccomp_mode(const char *s, enum seccomp_mode *mode);
/* "auto" | "none" | "kvm_pvm" -> *q; else -EINVAL. */
int config_parse_host_quirks(const char *s, enum host_quirks *q);
/* "auto" | "anonymous" | "memfd" | "hugetlb" -> *b; else -EINVAL. */
int config_parse_memory_backing(const char *s, enum memory_backing *b);
/* The name of a host_quirks value ("auto", "none", "kvm_pvm"). */
const char *config_host_quirks_name(enum host_quirks q);

/* [security] uid/gid not set: keep the identity microvm was started with. */
#define CONFIG_ID_KEEP		UINT32_MAX

/* Limits checked by config_parse/config_validate. */
#define CONFIG_MEM_MIN		(16ULL << 20)
#define CONFIG_MEM_MAX		(1ULL << 40)
#define CONFIG_MEM_ALIGN	4096ULL
#define CONFIG_VCPUS_MAX	64
#define CONFIG_CMDLINE_MAX	65535	/* bytes, without the terminating NUL */
#define CONFIG_FILE_MAX		(1u << 20)

#endif
