// SPDX-License-Identifier: MIT
/* microvm command line: run / check a vm.toml, with a few overrides. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "legacy/boot_timer.h"
#include "util/clock.h"
#include "util/exit_codes.h"
#include "vmm/host_quirks.h"
#include "util/log.h"
#include "api/api.h"
#include "vmm/machine.h"
#include "vmm/version.h"

static const char usage[] =
	"usage: microvm run   --config FILE [options]   boot the VM described by FILE\n"
	"       microvm check --config FILE [options]   validate FILE (and overrides) only\n"
	"       microvm ctl SOCKET VERB [-j]            drive a running VM through its API socket\n"
	"                                               (ping info pause resume shutdown reboot\n"
	"                                                power-button counters shm)\n"
	"       microvm --help | --version\n"
	"\n"
	"options (override the config file):\n"
	"  --kernel PATH      kernel image (bzImage, ELF vmlinux or PVH ELF)\n"
	"  --initrd PATH      initial ramdisk\n"
	"  --cmdline STRING   kernel command line (replaces the configured one)\n"
	"  --append STRING    appended to the kernel command line\n"
	"  --memory SIZE      guest RAM, e.g. 512M, 2G\n"
	"  --vcpus N          number of vCPUs\n"
	"  --timeout SECONDS  stop the guest after SECONDS (exit status 6)\n"
	"  --api-socket PATH  serve the control API (HTTP/1.1 + JSON) on this UNIX socket\n"
	"  -v, --verbose      more messages (repeat for debug); -q, --quiet: errors only\n"
	"\n"
	"console: the guest's serial port is on stdin/stdout. On a terminal, Ctrl-A x quits.\n"
	"\n"
	"exit status:\n"
	"  0  the guest reset (i8042, reboot) or powered off\n"
	"  1  host error (KVM, memory, I/O)\n"
	"  2  configuration error (command line, config file, kernel, initrd)\n"
	"  3  guest triple fault\n"
	"  4  KVM internal error / emulation failure / unhandled exit (RIP and bytes are printed)\n"
	"  5  guest crash reported by KVM\n"
	"  6  --timeout elapsed\n"
	"  7  stopped by a signal or Ctrl-A x\n";

enum { OPT_CONFIG = 256, OPT_KERNEL, OPT_INITRD, OPT_CMDLINE, OPT_APPEND, OPT_MEMORY, OPT_VCPUS,
       OPT_TIMEOUT, OPT_API_SOCKET, OPT_HELP, OPT_VERSION };

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "append", required_argument, NULL, OPT_APPEND },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "vcpus", required_argument, NULL, OPT_VCPUS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "api-socket", required_argument, NULL, OPT_API_SOCKET },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

struct cli {
	const char *config;
	const char *kernel, *initrd, *cmdline, *append, *memory, *vcpus, *api_socket;
	uint64_t timeout_ms;
	int verbosity;
};

static int bad_usage(const char *msg, const char *arg)
{
	pr_err("%s%s%s (see microvm --help)", msg, arg ? ": " : "", arg ? arg : "");
	return EXIT_CONFIG_ERROR;
}

static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s[0] || s[0] == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int apply_overrides(struct vm_config *cfg, const struct cli *cli)
{
	uint64_t v;

	if ((cli->kernel && config_set_str(&cfg->kernel, cli->kernel)) ||
	    (cli->initrd && config_set_str(&cfg->initrd, cli->initrd)) ||
	    (cli->cmdline && config_set_str(&cfg->cmdline, cli->cmdline)) ||
	    (cli->api_socket && config_set_str(&cfg->api_socket, cli->api_socket)))
		return EXIT_HOST_ERROR;
	if (cli->append) {
		size_t n = strlen(cfg->cmdline ? cfg->cmdline : "") + strlen(cli->append) + 2;
		char *s = malloc(n);

		if (!s)
			return EXIT_HOST_ERROR;
		snprintf(s, n, "%s%s%s", cfg->cmdline ? cfg->cmdline : "",
			 cfg->cmdline && cfg->cmdline[0] ? " " : "", cli->append);
		free(cfg->cmdline);
		cfg->cmdline = s;
	}
	if (cli->memory) {
		if (parse_size(cli->memory, &v))
			return bad_usage("--memory: not a size (e.g. 512M, 2G)", cli->memory);
		cfg->memory = v;
	}
	if (cli->vcpus) {
		if (parse_uint(cli->vcpus, 1024, &v))
			return bad_usage("--vcpus: not a number", cli->vcpus);
		cfg->vcpus = (uint32_t)v;
	}
	return 0;
}

static int parse_cli(int argc, char **argv, struct cli *cli)
{
	int c;
	uint64_t v;

	while ((c = getopt_long(argc, argv, "vq", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_CONFIG: cli->config = optarg; break;
		case OPT_KERNEL: cli->kernel = optarg; break;
		case OPT_INITRD: cli->initrd = optarg; break;
		case OPT_CMDLINE: cli->cmdline = optarg; break;
		case OPT_APPEND: cli->append = optarg; break;
		case OPT_MEMORY: cli->memory = optarg; break;
		case OPT_VCPUS: cli->vcpus = optarg; break;
		case OPT_API_SOCKET: cli->api_socket = optarg; break;
		case OPT_TIMEOUT:
			if (parse_uint(optarg, 86400 * 365, &v) || v == 0)
				return bad_usage("--timeout: not a positive number of seconds", optarg);
			cli->timeout_ms = v * 1000;
			break;
		case 'v': cli->verbosity++; break;
		case 'q': cli->verbosity = -1; break;
		default: return EXIT_CONFIG_ERROR;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t t0 = monotonic_ns();
	struct vm_config cfg;
	struct machine m;
	struct cli cli = { 0 };
	char err[1024];
	const char *cmd;
	int status;

	log_set_prefix("microvm");
	if (argc < 2)
		return bad_usage("missing command", NULL);
	cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("microvm %s\n", MICROVM_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "ctl"))
		return api_ctl_main(argc - 1, argv + 1);
	if (strcmp(cmd, "run") && strcmp(cmd, "check"))
		return bad_usage("unknown command", cmd);
	optind = 2;
	status = parse_cli(argc, argv, &cli);
	if (status)
		return status;
	if (optind < argc)
		return bad_usage("unexpected argument", argv[optind]);
	log_set_level(cli.verbosity < 0 ? LOG_ERROR : cli.verbosity == 0 ? LOG_WARN :
		      cli.verbosity == 1 ? LOG_INFO : LOG_DEBUG);
	if (!cli.config)
		return bad_usage("--config FILE is required", NULL);

	config_init(&cfg);
	if (config_load(&cfg, cli.config, err, sizeof(err))) {
		pr_err("%s", err);
		config_free(&cfg);
		return EXIT_CONFIG_ERROR;
	}
	status = apply_overrides(&cfg, &cli);
	if (!status && strcmp(cmd, "check")) {
		enum host_quirks how = cfg.host_quirks;

		if (host_quirks_apply(&how, "/sys/module", &cfg.cmdline)) {
			pr_err("host_quirks = \"%s\": cannot extend the command line",
			       config_host_quirks_name(cfg.host_quirks));
			status = EXIT_CONFIG_ERROR;
		} else {
			pr_info("host quirks: %s (host_quirks = \"%s\")%s",
				config_host_quirks_name(how), config_host_quirks_name(cfg.host_quirks),
				how == HOST_QUIRKS_KVM_PVM ? ": guest cmdline += " HOST_QUIRKS_KVM_PVM_CMDLINE : "");
		}
	}
	if (!status && (config_validate(&cfg, err, sizeof(err)) ||
			machine_check_config(&cfg, err, sizeof(err)))) {
		pr_err("%s", err);
		status = EXIT_CONFIG_ERROR;
	}
	if (status || !strcmp(cmd, "check")) {
		if (!status)
			printf("%s: ok\n", cli.config);
		config_free(&cfg);
		return status;
	}

	status = machine_create(&m, &cfg, t0);
	if (!status)
		status = machine_run(&m, cli.timeout_ms);
	machine_destroy(&m);
	config_free(&cfg);
	return status;
}
