// SPDX-License-Identifier: MIT
/*
 * microvm test guest: a freestanding x86_64 program the KVM-level tests boot to see what a guest
 * sees. Two builds of the same code (tests/guest/guest.mk):
 *
 *   build/tests/guest/testguest.elf    ELF64 at 1 MiB with a PVH note (XEN_ELFNOTE_PHYS32_ENTRY):
 *                                      32-bit entry, EBX = struct hvm_start_info
 *   build/tests/guest/testguest64.elf  no PVH note: 64-bit entry at e_entry, RSI = boot_params
 *                                      (e_entry of testguest.elf is the same 64-bit entry)
 *
 * OUTPUT (8250 at 0x3f8, polled; lines end with "\n" only, no "\r"). Numbers: "0x..." is
 * lowercase hex without padding unless noted, everything else is decimal.
 *
 *   TESTGUEST boot=pvh | boot=linux64
 *   boot: problem: <text>                 only when the boot info is malformed
 *   cmdline: <command line>               (truncated to 4095 bytes)
 *   e820: <n> entries
 *   e820: 0x<start> 0x<end, exclusive> <type>      one per entry (PVH: the hvm memmap)
 *   mptable: cpus=<n> ioapic=<yes|no>     n = enabled processor entries
 *   mptable: none | bad-checksum | bad-table     (bad-table: physptr 0 or no "PCMP")
 *   ram: <bytes>                          sum of e820 type-1 sizes
 *   ...one block per test (below), in command line order...
 *   TESTGUEST done
 * then, with exit=debugport, "out 0xf4, 0" (QEMU isa-debug-exit), then i8042 reset (0xfe to port
 * 0x64); if still running: cli; hlt forever.
 * An unexpected CPU exception prints
 *   FAIL: exception vector=<n> error=0x<e> rip=0x<rip> cr2=0x<cr2>
 * and resets WITHOUT printing "TESTGUEST done".
 *
 * COMMAND LINE: space-separated words; recognised:
 *   test=<name>[,<name>...]   (may repeat; a name may carry an argument: name=arg)
 *   exit=debugport
 * Each test prints "PASS: <name>" or "FAIL: <name>: <why>" (name without its argument);
 * an unknown name prints "FAIL: unknown test <name>".
 *
 * TESTS
 *   memtest[=<MiB>[@<addr>]]  writes/verifies <MiB> (default 4, max 1024) of e820 RAM at <addr>
 *                       (hex, 4 KiB aligned, may be above 4 GiB) or by default at
 *                       the first 1 MiB boundary above the image (a rep-stos/repe-scas pattern
 *                       pass plus an address tag at both ends of each 4 KiB page):
 *                         memtest: 0x<start>-0x<end> ok
 *   triple-fault        loads a zero-limit IDT and executes ud2: the VMM must report a triple
 *                       fault. If the guest is still running: "FAIL: triple-fault: still running".
 *   exec-mmio           jumps to 0xd0000000 (unbacked, PCI hole): KVM reports an emulation
 *                       failure (VMM internal-error exit). Returning prints a FAIL.
 *   int3                executes int3 with a #BP handler installed: the handler must run once with
 *                       RIP just past the int3 (on emulating hosts the VMM completes the int3).
 *   fwait               executes fwait with no x87 exception pending: a no-op (the VMM skips it on
 *                       hosts whose KVM cannot emulate it).
 *   unhandled-io        port 0x2f8-0x2ff (nobody owns them): 8/16/32-bit reads must return all
 *                       ones; writes are ignored.
 *   pci-scan            enumerates bus 0 with 0xcf8/0xcfc:
 *                         pci: <bb>:<dd>.<f> <vendor>:<device> class=<cccccc>   (fixed-width hex)
 *                       and for vendor 0x1af4 the vendor capabilities:
 *                         pci-cap: cfg_type=<n> bar=<n> offset=0x<off> length=0x<len>
 *                       (cfg_type 8 = shared memory: 64-bit offset/length from virtio_pci_cap64).
 *                       A BAR reading 0 is sized and assigned (32-bit window 0xc0000000+,
 *                       I/O 0xc000+); assigned BARs are left alone. Each assignment prints
 *                         pci-bar: <bb>:<dd>.<f> bar=<n> assigned=0x<base> size=0x<size>[ io]
 *                       (also from the blk-* and shm-* tests, which assign BARs of the device they use).
 *   blk-read            polling virtio 1.x modern driver on the first 1af4:1042 device, queue 0,
 *                       no MSI-X (0xffff); reads sector 0:
 *                         blk: capacity=<sectors>
 *                         blk: sector0 crc32=0x<8 hex digits>      (zlib/IEEE CRC-32)
 *                         blk: sector0 head=<first 16 bytes as 32 hex digits>
 *   blk-write=<lba>     writes 512 bytes of "MICROVM!" repeated to sector <lba> (decimal or
 *                       0x-hex), reads it back and compares:
 *                         blk: wrote lba=<lba>
 *   shm-read[=<off>:<len>]   first virtio device with a shared-memory cap (cfg_type 8): base from
 *                       its 64-bit BAR; CRC-32 of <len> bytes at region offset <off> (both hex,
 *                       default 0:1000):
 *                         shm: id=<n> base=0x<gpa> length=0x<len>
 *                         shm: crc32=0x<8 hex digits>
 *   shm-write=<off>:<byte>   writes 4 KiB of <byte> (hex) at region offset <off> (hex), reads back.
 *   shm-wait=<off>:<value>   polls the u64 at region offset <off> until it equals <value> (hex;
 *                       a back-end's signal), bounded:
 *                         shm: waited for 0x<value>
 *   tick[=<n>]          prints "tick: <i>" for i = 1..n (default: forever), a short spin between
 *                       lines: a guest counter for the control API's pause/resume test.
 * Device-level failures (timeout, bad status, missing device) print FAIL with the reason.
 */
#include "guest.h"

#define DEBUG_EXIT_PORT	0xf4

struct test {
	const char *name;
	test_fn fn;
};

static const struct test tests[] = {
	{ "memtest", test_memtest },
	{ "triple-fault", test_triple_fault },
	{ "exec-mmio", test_exec_mmio },
	{ "unhandled-io", test_unhandled_io },
	{ "int3", test_int3 },
	{ "fwait", test_fwait },
	{ "pci-scan", test_pci_scan },
	{ "blk-read", test_blk_read },
	{ "blk-write", test_blk_write },
	{ "shm-read", test_shm_read },
	{ "shm-write", test_shm_write },
	{ "shm-wait", test_shm_wait },
	{ "tick", test_tick },
};

static const char *cur_test;
static bool cur_failed;
static bool exit_debugport;

void test_fail(const char *fmt, ...)
{
	va_list ap;

	cur_failed = true;
	gprintf("FAIL: %s: ", cur_test);
	va_start(ap, fmt);
	gvprintf(fmt, ap);
	va_end(ap);
	puts_serial("\n");
}

/* Runs one "name[=arg]" item of a test= list (item is not NUL-terminated). */
static void run_item(const char *item, size_t len)
{
	char name[64], arg[128];
	size_t nlen = 0;

	while (nlen < len && item[nlen] != '=')
		nlen++;
	if (nlen >= sizeof(name) || (nlen < len && len - nlen - 1 >= sizeof(arg))) {
		puts_serial("FAIL: unknown test ");
		for (size_t i = 0; i < len; i++)
			putc_serial(item[i]);
		puts_serial("\n");
		return;
	}
	memcpy(name, item, nlen);
	name[nlen] = '\0';
	arg[0] = '\0';
	if (nlen < len) {
		memcpy(arg, item + nlen + 1, len - nlen - 1);
		arg[len - nlen - 1] = '\0';
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(tests); i++) {
		if (strncmp(tests[i].name, name, sizeof(name)))
			continue;
		cur_test = tests[i].name;
		cur_failed = false;
		if (tests[i].fn(nlen < len ? arg : NULL) || cur_failed) {
			if (!cur_failed)
				test_fail("failed");
		} else {
			gprintf("PASS: %s\n", cur_test);
		}
		return;
	}
	gprintf("FAIL: unknown test %s\n", name);
}

static void run_list(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t j = i;

		while (j < len && s[j] != ',')
			j++;
		if (j > i)
			run_item(s + i, j - i);
		i = j + 1;
	}
}

/* Walks the command line twice: options first (exit=), then the tests in order. */
static void parse_cmdline(bool run)
{
	const char *s = cmdline;

	while (*s) {
		size_t n = 0;

		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		while (s[n] && s[n] != ' ' && s[n] != '\t' && s[n] != '\n')
			n++;
		if (!run && n == 14 && !strncmp(s, "exit=debugport", 14))
			exit_debugport = true;
		if (run && n > 5 && !strncmp(s, "test=", 5))
			run_list(s + 5, n - 5);
		s += n;
	}
}

void guest_reset(void)
{
	if (exit_debugport)
		outb(DEBUG_EXIT_PORT, 0);
	outb(0x64, 0xfe);
	halt_forever();
}

void guest_finish(void)
{
	puts_serial("TESTGUEST done\n");
	guest_reset();
}

void guest_main(void);
void guest_main(void)
{
	idt_init();
	boot_info_read();
	boot_info_print();
	parse_cmdline(false);
	parse_cmdline(true);
	guest_finish();
}
