// SPDX-License-Identifier: MIT
#include "vmm/main_loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "legacy/boot_timer.h"
#include "util/clock.h"
#include "util/exit_codes.h"
#include "util/log.h"
#include "legacy/serial.h"
#include "util/term.h"
#include "kvm/vm.h"

#define ESCAPE_CHAR 0x01 /* Ctrl-A */

static sigset_t stop_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	return set;
}

int main_loop_block_signals(void)
{
	sigset_t set = stop_signals();

	return -pthread_sigmask(SIG_BLOCK, &set, NULL);
}

struct console_in {
	uint8_t buf[256];
	size_t len, off;
	int eof;
	int escape;           /* last byte was Ctrl-A */
};

/* Feeds buffered input into the UART; handles the escape sequence on a terminal. */
static void console_feed(struct console_in *in, struct vm *vm, struct serial *serial)
{
	while (in->off < in->len) {
		uint8_t c = in->buf[in->off];

		if (term_is_raw()) {
			if (in->escape) {
				in->escape = 0;
				if (c == 'x' || c == 'X') {
					pr_warn("Ctrl-A x: stopping the VM");
					vm_request_stop(vm, EXIT_SIGNAL);
					return;
				}
				if (c != ESCAPE_CHAR) {
					/* Not an escape: deliver the swallowed Ctrl-A first. */
					uint8_t esc = ESCAPE_CHAR;

					if (serial_push_input(serial, &esc, 1) != 1) {
						in->escape = 1;
						return;
					}
				}
			} else if (c == ESCAPE_CHAR) {
				in->escape = 1;
				in->off++;
				continue;
			}
		}
		if (serial_push_input(serial, &c, 1) != 1)
			return; /* FIFO full: retry later */
		in->off++;
	}
	in->len = in->off = 0;
}

int main_loop_run(struct vm *vm, struct serial *serial, uint64_t timeout_ms)
{
	sigset_t set = stop_signals();
	struct console_in in = { 0 };
	uint64_t deadline = timeout_ms ? monotonic_ns() + timeout_ms * 1000000ULL : 0;
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);

	if (sfd < 0)
		pr_warn("signalfd: %s (signals will not stop the VM cleanly)", strerror(errno));
	while (!vm_stopping(vm)) {
		struct pollfd pfd[3] = {
			{ .fd = vm->stop_fd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = (in.eof || in.len) ? -1 : STDIN_FILENO, .events = POLLIN },
		};
		int wait_ms = -1;

		if (in.len)
			wait_ms = 5; /* waiting for the guest to drain the receive FIFO */
		if (deadline) {
			uint64_t now = monotonic_ns();
			int left;

			if (now >= deadline) {
				pr_err("timeout: the guest did not stop within %llu ms",
				       (unsigned long long)timeout_ms);
				vm_request_stop(vm, EXIT_TIMEOUT);
				break;
			}
			left = (int)((deadline - now + 999999) / 1000000);
			if (wait_ms < 0 || left < wait_ms)
				wait_ms = left;
		}
		if (poll(pfd, 3, wait_ms) < 0 && errno != EINTR) {
			pr_err("poll: %s", strerror(errno));
			vm_request_stop(vm, EXIT_HOST_ERROR);
			break;
		}
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				pr_warn("received signal %u: stopping the VM", si.ssi_signo);
				vm_request_stop(vm, EXIT_SIGNAL);
			}
		}
		if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(STDIN_FILENO, in.buf, sizeof(in.buf));

			if (n > 0) {
				in.len = (size_t)n;
				in.off = 0;
			} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				in.eof = 1; /* EOF on stdin does not stop the guest */
			}
		}
		if (in.len)
			console_feed(&in, vm, serial);
	}
	if (sfd >= 0)
		close(sfd);
	return vm->exit_status;
}
