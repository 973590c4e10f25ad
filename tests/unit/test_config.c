// SPDX-License-Identifier: MIT
/* Unit tests: vm.toml schema (config.c) and size parsing (size.c). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config/config.h"
#include "mm/guest_mem.h"
#include "pci/pci.h"
#include "vmm/machine.h"
#include "util/safe_open.h"

static char err[512];

static int parse(struct vm_config *cfg, const char *doc)
{
	config_init(cfg);
	return config_parse(cfg, doc, strlen(doc), "vm.toml", err, sizeof(err));
}

/* Parses doc (must fail) and checks the whole one-line message. */
static void expect_err(const char *doc, const char *msg)
{
	struct vm_config cfg;

	ck_assert_msg(parse(&cfg, doc) < 0, "parsed but should fail:\n%s", doc);
	ck_assert_str_eq(err, msg);
	ck_assert_ptr_null(strchr(err, '\n'));
	config_free(&cfg);
}

static void expect_ok(struct vm_config *cfg, const char *doc)
{
	ck_assert_msg(parse(cfg, doc) == 0, "parse failed: %s\n%s", err, doc);
}

START_TEST(test_defaults)
{
	struct vm_config cfg;

	config_init(&cfg);
	ck_assert_uint_eq(cfg.memory, 512ULL << 20);
	ck_assert_uint_eq(cfg.vcpus, 1);
	ck_assert(cfg.acpi);
	ck_assert_str_eq(cfg.cmdline, "console=ttyS0");
	ck_assert_ptr_null(cfg.kernel);
	ck_assert_ptr_null(cfg.initrd);
	ck_assert_uint_eq(cfg.nr_disks + cfg.nr_fs + cfg.nr_vhost_user, 0);
	ck_assert_int_eq(cfg.seccomp, SECCOMP_ENFORCE);
	config_free(&cfg);

	expect_ok(&cfg, "# nothing\n");
	ck_assert_uint_eq(cfg.memory, 512ULL << 20);
	ck_assert_str_eq(cfg.cmdline, "console=ttyS0");
	ck_assert_str_eq(cfg.source, "vm.toml");
	config_free(&cfg);
}
END_TEST

START_TEST(test_array_defaults)
{
	struct vm_config cfg;

	expect_ok(&cfg, "[[disk]]\npath = \"/d\"\n"
		  "[[vhost_user_fs]]\nsocket = \"/s\"\ntag = \"t\"\n"
		  "[[vhost_user]]\nsocket = \"/v\"\nvirtio_id = 16\nnum_queues = 2\n");
	ck_assert_uint_eq(cfg.nr_disks, 1);
	ck_assert(!cfg.disks[0].readonly);
	ck_assert_ptr_null(cfg.disks[0].id);
	ck_assert_int_eq(cfg.disks[0].io, DISK_IO_AUTO);
	ck_assert_int_eq(cfg.disks[0].cache, DISK_CACHE_HOST);
	ck_assert_uint_eq(cfg.disks[0].poll_us, DISK_POLL_US_DEFAULT);
	ck_assert_uint_eq(cfg.nr_fs, 1);
	ck_assert_uint_eq(cfg.fs[0].num_request_queues, 1);
	ck_assert_uint_eq(cfg.fs[0].queue_size, 1024);
	ck_assert_uint_eq(cfg.fs[0].cache_size, 0);
	ck_assert_uint_eq(cfg.fs[0].reconnect_ms, 0);
	ck_assert_uint_eq(cfg.fs[0].connect_timeout_ms, 5000);
	ck_assert_uint_eq(cfg.nr_vhost_user, 1);
	ck_assert_uint_eq(cfg.vhost_user[0].queue_size, 256);
	ck_assert_uint_eq(cfg.vhost_user[0].config_size, 0);
	ck_assert_uint_eq(cfg.vhost_user[0].reconnect_ms, 0);
	ck_assert_uint_eq(cfg.vhost_user[0].connect_timeout_ms, 5000);
	config_free(&cfg);
}
END_TEST

START_TEST(test_net_section)
{
	struct vm_config cfg;

	expect_ok(&cfg, "[[net]]\ntap = \"tap0\"\n"
		  "[[net]]\ntap = \"tap1\"\nmac = \"02:00:00:00:00:09\"\nmtu = 9000\nqueues = 8\n");
	ck_assert_uint_eq(cfg.nr_nets, 2);
	ck_assert_str_eq(cfg.nets[0].tap, "tap0");
	ck_assert_ptr_null(cfg.nets[0].mac);
	ck_assert_uint_eq(cfg.nets[0].mtu, 1500);
	ck_assert_uint_eq(cfg.nets[0].queues, 1);
	ck_assert_str_eq(cfg.nets[1].mac, "02:00:00:00:00:09");
	ck_assert_uint_eq(cfg.nets[1].mtu, 9000);
	ck_assert_uint_eq(cfg.nets[1].queues, 8);
	config_free(&cfg);
	expect_err("[[net]]\ntap = \"t\"\nmtu = 67\n",
		   "vm.toml:3:7: 'mtu' = 67 is out of range (68..65535)");
	expect_err("[[net]]\ntap = \"t\"\nqueues = 9\n",
		   "vm.toml:3:10: 'queues' = 9 is out of range (1..8)");
	expect_err("[[net]]\ntap = \"0123456789abcdef\"\n",
		   "vm.toml:2:7: 'tap' is too long (16 bytes, max 15)");
}
END_TEST

START_TEST(test_every_key)
{
	struct vm_config cfg;

	expect_ok(&cfg,
		  "[machine]\nmemory = \"2G\"\nvcpus = 4\nacpi = false\nmemory_backing = \"hugetlb\"\n"
		  "[kernel]\npath = \"/boot/vmlinuz\"\ninitrd = \"/boot/initrd\"\n"
		  "cmdline = \"console=ttyS0 quiet\"\n"
		  "[[disk]]\npath = \"/a.img\"\nreadonly = true\nid = \"12345678901234567890\"\n"
		  "io = \"sync\"\ncache = \"direct\"\npoll_us = 0\n"
		  "[[disk]]\npath = \"/b.img\"\nring_features = true\nio = \"io_uring\"\n"
		  "cache = \"host\"\npoll_us = 1000\n"
		  "[[vhost_user_fs]]\nsocket = \"/run/fs.sock\"\ntag = \"myfs\"\n"
		  "num_request_queues = 16\nqueue_size = 32768\ncache_size = \"64M\"\n"
		  "reconnect_ms = 100\nconnect_timeout_ms = 0\n"
		  "[[vhost_user]]\nsocket = \"/run/vu.sock\"\nvirtio_id = 63\nnum_queues = 64\n"
		  "queue_size = 2\nconfig_size = 4096\nreconnect_ms = 7\nconnect_timeout_ms = 9\n"
		  "[security]\nseccomp = \"log\"\n");
	ck_assert_uint_eq(cfg.memory, 2ULL << 30);
	ck_assert_uint_eq(cfg.vcpus, 4);
	ck_assert(!cfg.acpi);
	ck_assert_int_eq(cfg.memory_backing, MEMORY_BACKING_HUGETLB);
	ck_assert_str_eq(cfg.kernel, "/boot/vmlinuz");
	ck_assert_str_eq(cfg.initrd, "/boot/initrd");
	ck_assert_str_eq(cfg.cmdline, "console=ttyS0 quiet");
	ck_assert_uint_eq(cfg.nr_disks, 2);
	ck_assert_str_eq(cfg.disks[0].path, "/a.img");
	ck_assert(cfg.disks[0].readonly);
	ck_assert_str_eq(cfg.disks[0].id, "12345678901234567890");
	ck_assert_str_eq(cfg.disks[1].path, "/b.img");
	ck_assert(!cfg.disks[1].readonly);
	ck_assert(!cfg.disks[0].ring_features);
	ck_assert(cfg.disks[1].ring_features);
	ck_assert_int_eq(cfg.disks[0].io, DISK_IO_SYNC);
	ck_assert_int_eq(cfg.disks[0].cache, DISK_CACHE_DIRECT);
	ck_assert_uint_eq(cfg.disks[0].poll_us, 0);
	ck_assert_int_eq(cfg.disks[1].io, DISK_IO_URING);
	ck_assert_int_eq(cfg.disks[1].cache, DISK_CACHE_HOST);
	ck_assert_uint_eq(cfg.disks[1].poll_us, 1000);
	ck_assert_uint_eq(cfg.nr_fs, 1);
	ck_assert_str_eq(cfg.fs[0].socket, "/run/fs.sock");
	ck_assert_str_eq(cfg.fs[0].tag, "myfs");
	ck_assert_uint_eq(cfg.fs[0].num_request_queues, 16);
	ck_assert_uint_eq(cfg.fs[0].queue_size, 32768);
	ck_assert_uint_eq(cfg.fs[0].cache_size, 64ULL << 20);
	ck_assert_uint_eq(cfg.fs[0].reconnect_ms, 100);
	ck_assert_uint_eq(cfg.fs[0].connect_timeout_ms, 0);
	ck_assert_uint_eq(cfg.nr_vhost_user, 1);
	ck_assert_str_eq(cfg.vhost_user[0].socket, "/run/vu.sock");
	ck_assert_uint_eq(cfg.vhost_user[0].virtio_id, 63);
	ck_assert_uint_eq(cfg.vhost_user[0].num_queues, 64);
	ck_assert_uint_eq(cfg.vhost_user[0].queue_size, 2);
	ck_assert_uint_eq(cfg.vhost_user[0].config_size, 4096);
	ck_assert_uint_eq(cfg.vhost_user[0].reconnect_ms, 7);
	ck_assert_uint_eq(cfg.vhost_user[0].connect_timeout_ms, 9);
	ck_assert_int_eq(cfg.seccomp, SECCOMP_LOG);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	config_free(&cfg);

	expect_ok(&cfg, "[security]\nseccomp = \"off\"\n[machine]\nmemory = 16777216\n");
	ck_assert_int_eq(cfg.seccomp, SECCOMP_OFF);
	ck_assert_uint_eq(cfg.memory, 16ULL << 20);
	config_free(&cfg);
	expect_ok(&cfg, "machine = { memory = \"1T\", vcpus = 64 }\n"
		  "disk = [ { path = \"/x\" }, { path = \"/y\", readonly = true } ]\n");
	ck_assert_uint_eq(cfg.memory, 1ULL << 40);
	ck_assert_uint_eq(cfg.vcpus, 64);
	ck_assert_uint_eq(cfg.nr_disks, 2);
	ck_assert(cfg.disks[1].readonly);
	config_free(&cfg);
}
END_TEST

/* ---- sizes ---- */

static const struct {
	const char *s;
	uint64_t v;
} good_sizes[] = {
	{ "0", 0 }, { "4096", 4096 }, { "1_048_576", 1048576 }, { "64K", 64ULL << 10 },
	{ "64k", 64ULL << 10 }, { "512M", 512ULL << 20 }, { "512m", 512ULL << 20 },
	{ "2G", 2ULL << 30 }, { "1T", 1ULL << 40 }, { "1KiB", 1024 }, { "3MiB", 3ULL << 20 },
	{ "1_0G", 10ULL << 30 }, { "18446744073709551615", UINT64_MAX },
	{ "16777215T", 16777215ULL << 40 }, { "0G", 0 },
};

static const char *const bad_sizes[] = {
	"", "M", "G1", "12X", "1.5G", "-1", "+1", " 1G", "1G ", "1 G", "1_", "_1", "1__0", "1GB",
	"1Gi", "1KIB", "0x10", "1e3", "1K1", "1KB", "one",
	/* overflow */
	"18446744073709551616", "99999999999999999999999", "16777216T", "17179869184G",
	"18014398509481984K",
};

START_TEST(test_size_good)
{
	uint64_t v = 12345;

	ck_assert_msg(parse_size(good_sizes[_i].s, &v) == 0, "'%s' rejected", good_sizes[_i].s);
	ck_assert_uint_eq(v, good_sizes[_i].v);
}
END_TEST

START_TEST(test_size_bad)
{
	uint64_t v = 12345;

	ck_assert_msg(parse_size(bad_sizes[_i], &v) == -1, "'%s' accepted", bad_sizes[_i]);
	ck_assert_uint_eq(v, 12345);
}
END_TEST

START_TEST(test_size_format)
{
	char b[32];

	format_size(0, b, sizeof(b));
	ck_assert_str_eq(b, "0");
	format_size(4096, b, sizeof(b));
	ck_assert_str_eq(b, "4K");
	format_size(16ULL << 20, b, sizeof(b));
	ck_assert_str_eq(b, "16M");
	format_size(1ULL << 40, b, sizeof(b));
	ck_assert_str_eq(b, "1T");
	format_size(3ULL << 30, b, sizeof(b));
	ck_assert_str_eq(b, "3G");
	format_size(12345, b, sizeof(b));
	ck_assert_str_eq(b, "12345");
	ck_assert_int_eq(parse_size(NULL, &(uint64_t){ 0 }), -1);
}
END_TEST

/* ---- errors: each is exactly one line naming file:line:col and the key ---- */

static const struct {
	const char *doc, *msg;
} bad_configs[] = {
	/* ranges */
	{ "[machine]\nmemory = 0\n", "vm.toml:2:10: 'memory' = 0 is out of range (16M..1T)" },
	{ "[machine]\nmemory = \"8M\"\n",
	  "vm.toml:2:10: 'memory' = \"8M\" is out of range (16M..1T)" },
	{ "[machine]\nmemory = \"2T\"\n",
	  "vm.toml:2:10: 'memory' = \"2T\" is out of range (16M..1T)" },
	{ "[machine]\nmemory = -1\n", "vm.toml:2:10: 'memory' = -1 is out of range (16M..1T)" },
	{ "[machine]\nmemory = 16777217\n",
	  "vm.toml:2:10: 'memory' = 16777217 must be a multiple of 4K" },
	{ "[machine]\nmemory = \"1G1\"\n", "vm.toml:2:10: 'memory' = \"1G1\" is not a valid "
	  "size (use e.g. \"512M\", \"2G\" or a number of bytes)" },
	{ "[machine]\nmemory = \"99999999999T\"\n", "vm.toml:2:10: 'memory' = \"99999999999T\" "
	  "is not a valid size (use e.g. \"512M\", \"2G\" or a number of bytes)" },
	{ "[machine]\nvcpus = 0\n", "vm.toml:2:9: 'vcpus' = 0 is out of range (1..64)" },
	{ "[machine]\nvcpus = 65\n", "vm.toml:2:9: 'vcpus' = 65 is out of range (1..64)" },
	{ "[machine]\nvcpus = -1\n", "vm.toml:2:9: 'vcpus' = -1 is out of range (1..64)" },
	{ "[machine]\nvcpus = 0x7fffffffffffffff\n",
	  "vm.toml:2:9: 'vcpus' = 9223372036854775807 is out of range (1..64)" },
	{ "[[disk]]\npath = \"/d\"\nid = \"123456789012345678901\"\n",
	  "vm.toml:3:6: 'id' is too long (21 bytes, max 20)" },
	{ "[[disk]]\npath = \"\"\n", "vm.toml:2:8: 'path' must not be empty" },
	{ "[kernel]\npath = \"\"\n", "vm.toml:2:8: 'path' must not be empty" },
	{ "[[vhost_user_fs]]\nsocket = \"/s\"\ntag = \"\"\n",
	  "vm.toml:3:7: 'tag' must not be empty" },
	{ "[[vhost_user_fs]]\nsocket = \"/s\"\ntag = \"1234567890123456789012345678901234567\"\n",
	  "vm.toml:3:7: 'tag' is too long (37 bytes, max 36)" },
	{ "[[vhost_user_fs]]\nsocket = \"/s\"\ntag = \"t\"\nnum_request_queues = 17\n",
	  "vm.toml:4:22: 'num_request_queues' = 17 is out of range (1..16)" },
	{ "[[vhost_user_fs]]\nsocket = \"/s\"\ntag = \"t\"\nqueue_size = 1000\n",
	  "vm.toml:4:14: 'queue_size' = 1000 must be a power of two" },
	{ "[[vhost_user_fs]]\nsocket = \"/s\"\ntag = \"t\"\nqueue_size = 65536\n",
	  "vm.toml:4:14: 'queue_size' = 65536 is out of range (2..32768)" },
	{ "[[vhost_user_fs]]\nsocket = \"/s\"\ntag = \"t\"\nqueue_size = 1\n",
	  "vm.toml:4:14: 'queue_size' = 1 is out of range (2..32768)" },
	{ "[[vhost_user_fs]]\nsocket = \"/s\"\ntag = \"t\"\ncache_size = \"3M\"\n",
	  "vm.toml:4:14: 'cache_size' = \"3M\" must be a multiple of 2M" },
	{ "[[vhost_user_fs]]\nsocket = \"/s\"\ntag = \"t\"\nreconnect_ms = 3600001\n",
	  "vm.toml:4:16: 'reconnect_ms' = 3600001 is out of range (0..3600000)" },
	{ "[[vhost_user]]\nsocket = \"/s\"\nvirtio_id = 64\nnum_queues = 1\n",
	  "vm.toml:3:13: 'virtio_id' = 64 is out of range (1..63)" },
	{ "[[vhost_user]]\nsocket = \"/s\"\nvirtio_id = 1\nnum_queues = 0\n",
	  "vm.toml:4:14: 'num_queues' = 0 is out of range (1..64)" },
	{ "[[vhost_user]]\nsocket = \"/s\"\nvirtio_id = 1\nnum_queues = 1\nconfig_size = 4097\n",
	  "vm.toml:5:15: 'config_size' = 4097 is out of range (0..4096)" },
	{ "[[vhost_user]]\nsocket = \"/s\"\nvirtio_id = 1\nnum_queues = 1\nqueue_size = 384\n",
	  "vm.toml:5:14: 'queue_size' = 384 must be a power of two" },
	/* uniqueness */
	{ "[[vhost_user_fs]]\nsocket = \"/a\"\ntag = \"t\"\n"
	  "[[vhost_user_fs]]\nsocket = \"/b\"\ntag = \"t\"\n",
	  "vm.toml:6:7: 'tag' = \"t\" is already used by the [[vhost_user_fs]] entry at 1:1" },
	{ "[[vhost_user_fs]]\nsocket = \"/a\"\ntag = \"t\"\n"
	  "[[vhost_user_fs]]\nsocket = \"/a\"\ntag = \"u\"\n",
	  "vm.toml:5:10: 'socket' = \"/a\" is already used by the [[vhost_user_fs]] entry at 1:1" },
	{ "[[disk]]\npath = \"/a\"\nid = \"x\"\n[[disk]]\npath = \"/b\"\n"
	  "[[disk]]\npath = \"/c\"\nid = \"x\"\n",
	  "vm.toml:8:6: 'id' = \"x\" is already used by the [[disk]] entry at 1:1" },
	{ "vhost_user = 1\n",
	  "vm.toml:1:14: 'vhost_user' must be an array of tables ([[vhost_user]]), got integer" },
	/* required keys */
	{ "[[disk]]\nreadonly = true\n", "vm.toml:1:1: missing required key 'path' in [[disk]]" },
	{ "[[disk]]\npath = \"/a\"\n\n[[vhost_user_fs]]\nsocket = \"/s\"\n",
	  "vm.toml:4:1: missing required key 'tag' in [[vhost_user_fs]]" },
	{ "[[vhost_user]]\nsocket = \"/s\"\nnum_queues = 1\n",
	  "vm.toml:1:1: missing required key 'virtio_id' in [[vhost_user]]" },
	{ "disk = [{readonly = true}]\n",
	  "vm.toml:1:9: missing required key 'path' in [[disk]]" },
	/* did you mean */
	{ "[machine]\nvcpus = 1\nmemroy = \"1G\"\n",
	  "vm.toml:3:1: unknown key 'memroy' in [machine] (did you mean 'memory'?)" },
	{ "[machine]\nvcpu = 1\n",
	  "vm.toml:2:1: unknown key 'vcpu' in [machine] (did you mean 'vcpus'?)" },
	{ "[machine]\ncpus = 1\n",
	  "vm.toml:2:1: unknown key 'cpus' in [machine] (did you mean 'vcpus'?)" },
	{ "[machine]\nbanana = 1\n", "vm.toml:2:1: unknown key 'banana' in [machine]" },
	{ "[[disk]]\nro = true\n", "vm.toml:2:1: unknown key 'ro' in [[disk]]" },
	{ "[[disk]]\nidd = \"x\"\n",
	  "vm.toml:2:1: unknown key 'idd' in [[disk]] (did you mean 'id'?)" },
	{ "[[disk]]\nreadonyl = true\n",
	  "vm.toml:2:1: unknown key 'readonyl' in [[disk]] (did you mean 'readonly'?)" },
	{ "[machine]\ncmdline = \"x\"\n",
	  "vm.toml:2:1: unknown key 'cmdline' in [machine] ('cmdline' belongs in [kernel])" },
	{ "[kernel]\nintird = \"x\"\n",
	  "vm.toml:2:1: unknown key 'intird' in [kernel] (did you mean 'initrd'?)" },
	{ "[[disk]]\npth = \"x\"\n",
	  "vm.toml:2:1: unknown key 'pth' in [[disk]] (did you mean 'path'?)" },
	{ "[[vhost_user_fs]]\nsocket = \"/s\"\ntga = \"x\"\n",
	  "vm.toml:3:1: unknown key 'tga' in [[vhost_user_fs]] (did you mean 'tag'?)" },
	{ "[[vhost_user]]\nsocket = \"/s\"\nnum_queue = 1\n",
	  "vm.toml:3:1: unknown key 'num_queue' in [[vhost_user]] (did you mean 'num_queues'?)" },
	{ "[machin]\n", "vm.toml:1:2: unknown table [machin] (did you mean [machine]?)" },
	{ "[[disks]]\n", "vm.toml:1:3: unknown table [[disks]] (did you mean [[disk]]?)" },
	{ "[disks]\n", "vm.toml:1:2: unknown table [disks] (did you mean [[disk]]?)" },
	{ "[[machines]]\n", "vm.toml:1:3: unknown table [[machines]] (did you mean [machine]?)" },
	{ "[machine]\n\"mem\\nory\\u001b\" = 1\n",
	  "vm.toml:2:1: unknown key 'mem?ory?' in [machine] (did you mean 'memory'?)" },
	{ "[machine]\n\"a\\nb\" = 1\n\"a\\nb\" = 2\n",
	  "vm.toml:3:1: duplicate key 'a?b' (first defined at 2:1)" },
	{ "[network]\n", "vm.toml:1:2: unknown table [network]" },
	{ "memory = \"1G\"\n",
	  "vm.toml:1:1: key 'memory' must be inside a table: it belongs in [machine]" },
	{ "foo = 1\n", "vm.toml:1:1: unknown top-level key 'foo'" },
	{ "[security]\nseccomp = \"enfroce\"\n", "vm.toml:2:11: 'seccomp' must be \"enforce\", "
	  "\"log\" or \"off\", got \"enfroce\" (did you mean \"enforce\"?)" },
	{ "[security]\nseccomp = \"strict\"\n", "vm.toml:2:11: 'seccomp' must be \"enforce\", "
	  "\"log\" or \"off\", got \"strict\"" },
	/* [[disk]] io, cache, poll_us (#17.1) */
	{ "[[disk]]\npath = \"/d\"\nio = \"aio\"\n",
	  "vm.toml:3:6: 'io' must be \"sync\" or \"io_uring\", got \"aio\"" },
	{ "[[disk]]\npath = \"/d\"\ncache = \"none\"\n",
	  "vm.toml:3:9: 'cache' must be \"host\" or \"direct\", got \"none\"" },
	{ "[[disk]]\npath = \"/d\"\npoll_us = 1001\n",
	  "vm.toml:3:11: 'poll_us' = 1001 is out of range (0..1000)" },
	{ "[[disk]]\npath = \"/d\"\nio = 1\n",
	  "vm.toml:3:6: 'io' must be a string, got integer" },
	/* wrong types */
	{ "[machine]\nmemory = 0\nvcpus = \"4\"\n",
	  "vm.toml:2:10: 'memory' = 0 is out of range (16M..1T)" },
	{ "[machine]\n\n\nvcpus = \"4\"\n", "vm.toml:4:9: 'vcpus' must be an integer, got string" },
	{ "[machine]\nmemory = true\n", "vm.toml:2:10: 'memory' must be a size (string like "
	  "\"512M\" or integer bytes), got boolean" },
	{ "[machine]\nmemory = [1]\n", "vm.toml:2:10: 'memory' must be a size (string like "
	  "\"512M\" or integer bytes), got array" },
	{ "[[disk]]\npath = \"/d\"\nreadonly = \"yes\"\n",
	  "vm.toml:3:12: 'readonly' must be a boolean, got string" },
	{ "[kernel]\npath = 1\n", "vm.toml:2:8: 'path' must be a string, got integer" },
	{ "[machine]\nacpi = 1\n", "vm.toml:2:8: 'acpi' must be a boolean, got integer" },
	{ "[machine]\nmemory_backing = \"thp\"\n", "vm.toml:2:18: 'memory_backing' must be "
	  "\"auto\", \"anonymous\", \"memfd\" or \"hugetlb\", got \"thp\"" },
	{ "[machine]\nmemory_backing = 2\n",
	  "vm.toml:2:18: 'memory_backing' must be a string, got integer" },
	{ "[kernel]\ncmdline = { a = 1 }\n", "vm.toml:2:11: 'cmdline' must be a string, got table" },
	{ "[security]\nseccomp = false\n", "vm.toml:2:11: 'seccomp' must be a string, got boolean" },
	{ "machine = 1\n", "vm.toml:1:11: 'machine' must be a table ([machine]), got integer" },
	{ "[disk]\npath = \"x\"\n",
	  "vm.toml:1:1: 'disk' must be an array of tables ([[disk]]), got table" },
	{ "disk = [1]\n", "vm.toml:1:9: 'disk' entries must be tables, got integer" },
	{ "[[machine]]\n", "vm.toml:1:1: 'machine' must be a table ([machine]), got array" },
	/* TOML errors come through with the file name */
	{ "[machine]\nvcpus = 01\n",
	  "vm.toml:2:9: leading zeros are not allowed in integers: '01'" },
	{ "[machine]\nvcpus = 1\nvcpus = 2\n",
	  "vm.toml:3:1: duplicate key 'vcpus' (first defined at 2:1)" },
};

START_TEST(test_bad_config)
{
	expect_err(bad_configs[_i].doc, bad_configs[_i].msg);
}
END_TEST

START_TEST(test_device_limit)
{
	char doc[4096] = "";
	struct vm_config cfg;
	int i;

	for (i = 0; i < 32; i++)
		snprintf(doc + strlen(doc), sizeof(doc) - strlen(doc),
			 "[[disk]]\npath = \"/d%d\"\nid = \"%d\"\n", i, i);
	expect_ok(&cfg, doc);
	ck_assert_uint_eq(cfg.nr_disks, 32);
	ck_assert_str_eq(cfg.disks[31].path, "/d31");
	config_free(&cfg);
	strcat(doc, "[[disk]]\npath = \"/more\"\n");
	expect_err(doc, "vm.toml:97:1: too many [[disk]] entries (max 32)");
}
END_TEST

START_TEST(test_reparse)
{
	const char *a = "[[disk]]\npath = \"/a\"\n[[disk]]\npath = \"/b\"\n[kernel]\npath = \"/k\"\n";
	const char *b = "[[disk]]\npath = \"/c\"\n[kernel]\npath = \"/k2\"\n";
	struct vm_config cfg;

	expect_ok(&cfg, a);
	ck_assert_int_eq(config_parse(&cfg, b, strlen(b), "b.toml", err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.nr_disks, 1);
	ck_assert_str_eq(cfg.disks[0].path, "/c");
	ck_assert_str_eq(cfg.kernel, "/k2");
	ck_assert_str_eq(cfg.source, "b.toml");
	config_free(&cfg);
}
END_TEST

START_TEST(test_cmdline_limit)
{
	size_t n = CONFIG_CMDLINE_MAX + 1;
	char *doc = malloc(n + 32);
	struct vm_config cfg;

	ck_assert_ptr_nonnull(doc);
	strcpy(doc, "[kernel]\ncmdline = \"");
	memset(doc + strlen(doc), 'x', n);
	strcpy(doc + 20 + n, "\"\n");
	ck_assert_int_lt(parse(&cfg, doc), 0);
	ck_assert_str_eq(err, "vm.toml:2:11: 'cmdline' is too long (65536 bytes, max 65535)");
	config_free(&cfg);
	doc[20 + n - 1] = '"';
	doc[20 + n] = '\0';
	ck_assert_int_eq(parse(&cfg, doc), 0);
	ck_assert_uint_eq(strlen(cfg.cmdline), CONFIG_CMDLINE_MAX);
	config_free(&cfg);
	free(doc);
}
END_TEST

/* ---- relative paths ---- */

static const char *const paths_doc =
	"[kernel]\npath = \"bzImage\"\ninitrd = \"../initrd.img\"\n"
	"[[disk]]\npath = \"disks/root.img\"\n[[disk]]\npath = \"/abs/d.img\"\n"
	"[[vhost_user_fs]]\nsocket = \"fs.sock\"\ntag = \"t\"\n"
	"[[vhost_user]]\nsocket = \"/run/vu.sock\"\nvirtio_id = 1\nnum_queues = 1\n";

START_TEST(test_relative_paths)
{
	struct vm_config cfg;

	config_init(&cfg);
	ck_assert_int_eq(config_parse(&cfg, paths_doc, strlen(paths_doc), "conf/vms/a.toml",
				      err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.kernel, "conf/vms/bzImage");
	ck_assert_str_eq(cfg.initrd, "conf/vms/../initrd.img");
	ck_assert_str_eq(cfg.disks[0].path, "conf/vms/disks/root.img");
	ck_assert_str_eq(cfg.disks[1].path, "/abs/d.img");
	ck_assert_str_eq(cfg.fs[0].socket, "conf/vms/fs.sock");
	ck_assert_str_eq(cfg.vhost_user[0].socket, "/run/vu.sock");
	ck_assert_str_eq(cfg.fs[0].tag, "t");	/* not a path */
	config_free(&cfg);

	config_init(&cfg);
	ck_assert_int_eq(config_parse(&cfg, paths_doc, strlen(paths_doc), "a.toml", err,
				      sizeof(err)), 0);
	ck_assert_str_eq(cfg.kernel, "bzImage");
	ck_assert_str_eq(cfg.disks[0].path, "disks/root.img");
	config_free(&cfg);

	config_init(&cfg);
	ck_assert_int_eq(config_parse(&cfg, paths_doc, strlen(paths_doc), "/a.toml", err,
				      sizeof(err)), 0);
	ck_assert_str_eq(cfg.kernel, "/bzImage");
	config_free(&cfg);

	config_init(&cfg);
	ck_assert_int_eq(config_parse(&cfg, paths_doc, strlen(paths_doc), "/etc/vm/a.toml",
				      err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.kernel, "/etc/vm/bzImage");
	ck_assert_str_eq(cfg.source, "/etc/vm/a.toml");
	config_free(&cfg);
}
END_TEST

/* ---- config_load ---- */

static char tmpdir[64];

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void make_tmpdir(void)
{
	strcpy(tmpdir, "/tmp/test_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

START_TEST(test_load_file)
{
	struct vm_config cfg;
	char path[128], want[256];
	const char *doc = "[machine]\nmemory = \"1G\"\n[kernel]\npath = \"k\"\n";

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/vm.toml", tmpdir);
	write_file(path, doc, strlen(doc));
	config_init(&cfg);
	ck_assert_msg(config_load(&cfg, path, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(cfg.memory, 1ULL << 30);
	snprintf(want, sizeof(want), "%s/k", tmpdir);
	ck_assert_str_eq(cfg.kernel, want);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	config_free(&cfg);

	/* errors name the file */
	write_file(path, "[machine]\nvcpus = 99\n", 21);
	config_init(&cfg);
	ck_assert_int_lt(config_load(&cfg, path, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s:2:9: 'vcpus' = 99 is out of range (1..64)", path);
	ck_assert_str_eq(err, want);
	config_free(&cfg);
	unlink(path);
	rmdir(tmpdir);
}
END_TEST

START_TEST(test_load_refused)
{
	struct vm_config cfg;
	char path[128], want[256];
	size_t big = CONFIG_FILE_MAX + 1;
	char *text = malloc(big);

	make_tmpdir();
	config_init(&cfg);
	ck_assert_int_lt(config_load(&cfg, tmpdir, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s: is a directory, not a regular file", tmpdir);
	ck_assert_str_eq(err, want);

	snprintf(path, sizeof(path), "%s/missing.toml", tmpdir);
	ck_assert_int_lt(config_load(&cfg, path, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	ck_assert_str_eq(err, want);

	ck_assert_ptr_nonnull(text);
	memset(text, '#', big);
	snprintf(path, sizeof(path), "%s/big.toml", tmpdir);
	write_file(path, text, big);
	ck_assert_int_lt(config_load(&cfg, path, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s: file too large (max 1048576 bytes)", path);
	ck_assert_str_eq(err, want);
	/* exactly 1 MiB is fine */
	write_file(path, text, big - 1);
	ck_assert_msg(config_load(&cfg, path, err, sizeof(err)) == 0, "%s", err);
	unlink(path);
	config_free(&cfg);
	free(text);
	rmdir(tmpdir);
}
END_TEST

/*
 * #12.2: a FIFO, a character device or a socket is refused with its type named, without
 * blocking (before the fix, open() of the FIFO blocked forever: the test's timeout fails it).
 */
START_TEST(test_load_special_files)
{
	static const struct {
		const char *name, *type;
	} cases[] = {
		{ "fifo", "a FIFO" }, { "sock", "a socket" }, { "/dev/null", "a character device" },
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vm_config cfg;
	char path[128], want[256];
	int sfd;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", tmpdir);
	sfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(sfd, 0);
	ck_assert_int_eq(bind(sfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	config_init(&cfg);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].name[0] == '/')
			snprintf(path, sizeof(path), "%s", cases[i].name);
		else
			snprintf(path, sizeof(path), "%s/%s", tmpdir, cases[i].name);
		ck_assert_int_lt(config_load(&cfg, path, err, sizeof(err)), 0);
		snprintf(want, sizeof(want), "%s: is %s, not a regular file", path, cases[i].type);
		ck_assert_str_eq(err, want);
	}
	config_free(&cfg);
	close(sfd);
	unlink(sa.sun_path);
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}
END_TEST

/* The helper itself: types by mask, O_NONBLOCK cleared again, O_PATH directories. */
START_TEST(test_safe_open)
{
	char path[128], why[128];
	struct stat st;
	int fd;

	make_tmpdir();
	snprintf(path, sizeof(path), "%s/f", tmpdir);
	write_file(path, "x", 1);
	fd = safe_open(path, O_RDONLY, SAFE_OPEN_REG, &st, why, sizeof(why));
	ck_assert_int_ge(fd, 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	close(fd);
	ck_assert_int_lt(safe_open(path, O_PATH, SAFE_OPEN_DIR, NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(why, "is a regular file, not a directory");
	fd = safe_open(tmpdir, O_PATH, SAFE_OPEN_DIR, &st, why, sizeof(why));
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_lt(safe_open(tmpdir, O_RDONLY, SAFE_OPEN_REG | SAFE_OPEN_BLK, NULL, why,
				   sizeof(why)), 0);
	ck_assert_str_eq(why, "is a directory, not a regular file or a block device");
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	/* O_RDWR of a FIFO never blocks either; still refused */
	ck_assert_int_lt(safe_open(path, O_RDWR, SAFE_OPEN_REG | SAFE_OPEN_BLK, NULL, why,
				   sizeof(why)), 0);
	ck_assert_str_eq(why, "is a FIFO, not a regular file or a block device");
	unlink(path);
	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	ck_assert_int_lt(safe_open(path, O_RDONLY, SAFE_OPEN_REG, NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(why, "No such file or directory");
	snprintf(path, sizeof(path), "%s/f", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}
END_TEST

/*
 * #12.3: [[vhost_user_fs]] cache_size values that the bus cannot place fail at config time
 * with file:line:col (they used to pass and fail at device creation, "-28", status 1). The
 * expectations follow the window on this host (its physical address bits).
 */
static int check_fs(const char *memory, const char *const *sizes, unsigned int n)
{
	char doc[1024];
	size_t len;
	struct vm_config cfg;
	int r;

	len = (size_t)snprintf(doc, sizeof(doc), "[machine]\nmemory = \"%s\"\n[kernel]\n"
			       "path = \"/k\"\n", memory);
	for (unsigned int i = 0; i < n; i++)
		len += (size_t)snprintf(doc + len, sizeof(doc) - len, "[[vhost_user_fs]]\n"
					"socket = \"/s%u\"\ntag = \"t%u\"\ncache_size = \"%s\"\n",
					i, i, sizes[i]);
	ck_assert_msg(parse(&cfg, doc) == 0, "%s", err);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	r = machine_check_config(&cfg, err, sizeof(err));
	config_free(&cfg);
	return r;
}

START_TEST(test_bar_limits)
{
	static const char *const one_t[] = { "1T", "1T" }, *const g130[] = { "130G" },
			  *const small[] = { "2M", "64M", "1G", "2M" },
			  *const mixed[] = { "512G", "1T" };
	uint64_t base, end;
	char want[512];

	pci_mmio64_window(guest_mem_layout_end(512ULL << 20), &base, &end);
	ck_assert_uint_eq(base, 4ULL << 30);
	ck_assert_int_eq(check_fs("512M", small, 4), 0);
	/* 130G: a 256G BAR at a 256G boundary (the old 256 GiB window could not hold it) */
	ck_assert_int_eq(check_fs("512M", g130, 1), end >= (512ULL << 30) ? 0 : -1);
	/* 1T: one fits at 1T when the window reaches 2T; a second one never does */
	ck_assert_int_eq(check_fs("512M", one_t, 1), end >= (2ULL << 40) ? 0 : -1);
	ck_assert_int_eq(check_fs("512M", one_t, 2), -1);
	if (end >= (2ULL << 40)) {
		snprintf(want, sizeof(want), "vm.toml:12:14: [[vhost_user_fs]] cache_size = 1T does "
			 "not fit the 64-bit PCI window (0x%llx-0x%llx, %s, shared with the "
			 "cache_size of the entries before): its BAR takes 1T at a 1T boundary (BARs "
			 "are powers of two, naturally aligned)", (unsigned long long)base,
			 (unsigned long long)end, end - base == (2ULL << 40) ? "2T" : "?");
		ck_assert_str_eq(err, want);
		/* order matters as on the bus: 512G at 512G, then 1T at 1T */
		ck_assert_int_eq(check_fs("512M", mixed, 2), 0);
	}
	/* the window moves above RAM: 1T of RAM, then a 1T BAR at 2T */
	pci_mmio64_window(guest_mem_layout_end(1ULL << 40), &base, &end);
	ck_assert_uint_eq(base, (1ULL << 40) + (1ULL << 30));
	ck_assert_int_eq(check_fs("1T", one_t, 1), end >= (3ULL << 40) ? 0 : -1);
	/* the config-time rule is the bus's rule */
	ck_assert_uint_eq(pci_bar_size(130ULL << 30), 256ULL << 30);
	ck_assert_uint_eq(pci_bar_size(1), 4096);
}
END_TEST

/* ---- config_validate and overrides ---- */

START_TEST(test_validate)
{
	struct vm_config cfg;

	expect_ok(&cfg, "[machine]\nvcpus = 2\n");
	ck_assert_int_lt(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "vm.toml: no kernel: set 'path' in [kernel] or use --kernel");
	ck_assert_int_eq(config_set_str(&cfg.kernel, "/boot/k"), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);

	cfg.memory = 0;	/* e.g. --memory 0 */
	ck_assert_int_lt(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "vm.toml: memory 0 is out of range (16M..1T)");
	cfg.memory = (64ULL << 20) + 1;
	ck_assert_int_lt(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "vm.toml: memory 67108865 must be a multiple of 4K");
	cfg.memory = 2ULL << 40;
	ck_assert_int_lt(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "vm.toml: memory 2T is out of range (16M..1T)");
	cfg.memory = 64ULL << 20;
	cfg.vcpus = 0;
	ck_assert_int_lt(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "vm.toml: vcpus 0 is out of range (1..64)");
	cfg.vcpus = 65;
	ck_assert_int_lt(config_validate(&cfg, err, sizeof(err)), 0);
	cfg.vcpus = 64;
	ck_assert_int_eq(config_set_str(&cfg.cmdline, "root=/dev/vda"), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.cmdline, "root=/dev/vda");
	ck_assert_int_eq(config_set_str(&cfg.initrd, NULL), 0);
	ck_assert_ptr_null(cfg.initrd);
	config_free(&cfg);

	/* memory_backing: anonymous RAM has no fd for a vhost-user back-end; hugetlb is 2M pages */
	expect_ok(&cfg, "[machine]\nmemory_backing = \"anonymous\"\n[kernel]\npath = \"/k\"\n"
		  "[[vhost_user_fs]]\nsocket = \"/s\"\ntag = \"t\"\n");
	ck_assert_int_lt(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "vm.toml: memory_backing \"anonymous\" cannot be shared with a "
			 "vhost-user back-end: use \"memfd\", \"hugetlb\" or \"auto\"");
	cfg.memory_backing = MEMORY_BACKING_AUTO;
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	cfg.memory_backing = MEMORY_BACKING_HUGETLB;
	cfg.memory = (64ULL << 20) + 4096;
	ck_assert_int_lt(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "vm.toml: memory_backing \"hugetlb\" needs memory in 2M units, got 65540K");
	config_free(&cfg);
	/* every vhost-user kind needs shared RAM, [[vhost_user_net]] too (auto then picks memfd) */
	expect_ok(&cfg, "[machine]\nmemory_backing = \"anonymous\"\n[kernel]\npath = \"/k\"\n"
		  "[[vhost_user_net]]\nsocket = \"/s\"\n");
	ck_assert(config_needs_shared_ram(&cfg));
	ck_assert_int_lt(config_validate(&cfg, err, sizeof(err)), 0);
	config_free(&cfg);
	expect_ok(&cfg, "[kernel]\npath = \"/k\"\n[[net]]\ntap = \"tap0\"\n");
	ck_assert(!config_needs_shared_ram(&cfg));
	config_free(&cfg);
	config_init(&cfg);
	ck_assert_int_eq(cfg.memory_backing, MEMORY_BACKING_AUTO);
	config_free(&cfg);

	/* a config that was never parsed */
	config_init(&cfg);
	ck_assert_int_lt(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "config: no kernel: set 'path' in [kernel] or use --kernel");
	config_free(&cfg);
}
END_TEST

START_TEST(test_error_buffer_small)
{
	struct vm_config cfg;
	char small[8];

	config_init(&cfg);
	ck_assert_int_lt(config_parse(&cfg, "x = ", 4, "vm.toml", small, sizeof(small)), 0);
	ck_assert_str_eq(small, "vm.toml");
	ck_assert_int_lt(config_parse(&cfg, "x = ", 4, NULL, NULL, 0), 0);
	config_free(&cfg);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("schema");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_array_defaults);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_net_section);
	tcase_add_loop_test(tc, test_bad_config, 0, sizeof(bad_configs) / sizeof(bad_configs[0]));
	tcase_add_test(tc, test_cmdline_limit);
	tcase_add_test(tc, test_device_limit);
	tcase_add_test(tc, test_reparse);
	tcase_add_test(tc, test_relative_paths);
	tcase_add_test(tc, test_validate);
	tcase_add_test(tc, test_bar_limits);
	tcase_add_test(tc, test_error_buffer_small);
	suite_add_tcase(s, tc);

	tc = tcase_create("size");
	tcase_add_loop_test(tc, test_size_good, 0, sizeof(good_sizes) / sizeof(good_sizes[0]));
	tcase_add_loop_test(tc, test_size_bad, 0, sizeof(bad_sizes) / sizeof(bad_sizes[0]));
	tcase_add_test(tc, test_size_format);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_test(tc, test_load_file);
	tcase_add_test(tc, test_load_refused);
	tcase_add_test(tc, test_load_special_files);
	tcase_add_test(tc, test_safe_open);
	tcase_set_timeout(tc, 10);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0;
}
