# The guest's reboot (PSCI SYSTEM_RESET, KVM_EXIT_SYSTEM_EVENT type RESET) ends microvm with
# status 0, like poweroff (t-boot).
. /lane/lib.sh
require_kvm
write_config "$TMP/rb.toml" 1 256M
run_vm rb "$TMP/rb.toml" "l2.test=reboot"
expect_console '^L2-INIT-START'
expect_console '^L2-DONE'
expect_no_console '^FAIL'
expect_status 0
pass "guest reboot -> status 0 ($VM_SECS s)"
