#!/bin/bash
# SPDX-License-Identifier: MIT
# Fails if the test guest contains an instruction this CI's KVM cannot emulate at CPL0
# (../shared/BRIEF.md section 6) or any SSE/AVX/x87 register use.  Usage: check-insns.sh ELF
set -eu
elf=$1
bad=$'^(int3|int|into|popcnt|crc32[bwlq]?|xsave[a-z0-9]*|xrstor[a-z0-9]*|xgetbv|rdtscp|rdpid|lzcnt|movbe|cmpxchg16b|fwait|wait|monitor|mwait|invpcid|clwb|[lms]fence|f[a-z0-9]+)\t'
hits=$(objdump -d --no-show-raw-insn "$elf" |
	awk -F'\t' '/^[0-9a-f]+ <[^>]*>:$/ { fn = $0 } fn ~ /<deliberate_(int3|fwait)>:/ { next } NF >= 2 { split($2, w, " "); m = w[1]; if (m ~ /^(rep|repz|repnz|lock|data16|cs|ds|rex.*)$/) m = w[2]; print m "\t" $0 }' |
	grep -E "$bad|%[xy]mm|%mm[0-7]|%st" | grep -v '(bad)' || true)
if [ -n "$hits" ]; then
	echo "$elf: instructions that fail at CPL0 on emulating KVM hosts:" >&2
	echo "$hits" >&2
	exit 1
fi
