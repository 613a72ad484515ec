/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The table of test types: one line per type, nothing else to keep in sync. */
#include "runner/run_type.h"

#include <string.h>

extern const struct run_type run_type_boot, run_type_migrate, run_type_migrate_stress,
    run_type_migrate_set_get_speed, run_type_setspeed_and_getspeed,
    run_type_migrate_compcache, run_type_migrate_setmaxdowntime, run_type_migrate_multi_vms,
    run_type_virsh_migrate, run_type_virsh_migration, run_type_virsh_migrate_option_mix,
    run_type_virsh_migrate_virtio_scsi,
    run_type_virsh_migrate_copy_storage, run_type_migrate_compcache_cmd,
    run_type_setmaxdowntime_and_getmaxdowntime, run_type_live_migration,
    run_type_migration_kill_libvirt_daemon, run_type_unattended_install,
    run_type_migration_retain_sparsity;
extern const struct run_type run_type_migrate_vm;
extern const struct run_type run_type_migrate_options_shared;
extern const struct run_type run_type_pause_by_domjobabort_and_recover;
extern const struct run_type run_type_pause_by_network_and_recover;
extern const struct run_type run_type_no_paused_during_recover_migration;
extern const struct run_type run_type_pause_and_recover_and_disruptive,
    run_type_pause_and_disruptive_and_recover, run_type_unattended_migration_and_disruptive,
    run_type_pause_and_recover_twice, run_type_unattended_migration;
extern const struct run_type run_type_abort_precopy_migration;
extern const struct run_type run_type_abort_job;
extern const struct run_type run_type_tcp;
extern const struct run_type run_type_migration_bandwidth_limit;
extern const struct run_type run_type_migration_bandwidth;
extern const struct run_type run_type_migrate_bandwidth;
extern const struct run_type run_type_migration_with_backingchain;
extern const struct run_type run_type_migrate_storage;
extern const struct run_type run_type_memory_copy_mode;
extern const struct run_type run_type_migration_maxdowntime;
extern const struct run_type run_type_migration_with_cpu_mode;
extern const struct run_type run_type_migration_with_special_cpu,
    run_type_migration_with_memory_devices, run_type_migrate_with_virtual_devices;
extern const struct run_type run_type_migration_with_vtpm_dev, run_type_migration_with_shared_tpm,
    run_type_migration_with_external_tpm, run_type_migration_with_vtpm_state_on_block_dev;
extern const struct run_type run_type_tcp_migrateuri_and_disks_port;
extern const struct run_type run_type_tcp_common, run_type_tcp_migration_address,
    run_type_tcp_migration_host, run_type_tcp_migration_port_reuse, run_type_tcp_port_reuse;
extern const struct run_type run_type_migration_with_host_uuid,
    run_type_migration_with_host_hostname, run_type_migrate_with_various_hostname,
    run_type_tcp_migration_port_allocation_port_occupied_by_other_app,
    run_type_migration_network_data_transport, run_type_migrate_network;
extern const struct run_type run_type_p2p_keepalive;
extern const struct run_type run_type_migration_performance_tuning;
extern const struct run_type run_type_migration_zerocopy;
extern const struct run_type run_type_migration_precopy_bandwidth;
extern const struct run_type run_type_unix_proxy;
extern const struct run_type run_type_migrate_over_unix;
extern const struct run_type run_type_tls, run_type_migration_network_data_transport_tls,
    run_type_tls_migrate_tls_x509_verify;
extern const struct run_type run_type_autoskipped_disks;
extern const struct run_type run_type_migrate_disks;
extern const struct run_type run_type_precreate_none_target_disk;
extern const struct run_type run_type_target_image_larger_than_source;
extern const struct run_type run_type_change_dst_vm_conf;
extern const struct run_type run_type_migration_desturi;
extern const struct run_type run_type_kill_qemu_during_performphase,
    run_type_destroy_vm_during_performphase, run_type_disk_io_load_in_vm,
    run_type_kill_qemu_during_finishphase, run_type_destroy_vm_during_finishphase,
    run_type_stop_virtqemud_during_performphase, run_type_abort_by_domjobabort_on_target,
    run_type_migrate_vm_again_during_migration, run_type_qemu_err_incoming_migration,
    run_type_abort_before_qemu_layer_mig_start,
    run_type_migration_numatune;
extern const struct run_type run_type_persist_target_vm_and_undefine_src_vm,
    run_type_persist_target_vm_and_undefine_src_vm_and_abort;
extern const struct run_type run_type_offline_migration, run_type_migration_poweroff_vm,
    run_type_query_info_during_migration, run_type_guest_suspend;
extern const struct run_type run_type_async_job, run_type_migration_domjobinfo,
    run_type_non_live_migration, run_type_pause_resume_vm_during_migration,
    run_type_suspend_virsh_during_migration, run_type_migration_vm_configuration_and_status,
    run_type_migrate_paused_vm, run_type_query_domain_job_info, run_type_migrate_event;
extern const struct run_type run_type_migration_xml_update;
extern const struct run_type run_type_target_image_smaller_than_source,
    run_type_copy_storage_synchronous_writes, run_type_migration_vm_has_no_disk,
    run_type_migrate_vm_disk_on_shared_storage, run_type_no_sufficient_disk_space_on_target,
    run_type_block_disk, run_type_migration_with_different_disks,
    run_type_canonical_paths_in_shared_filesystems,
    run_type_non_canonical_paths_in_shared_filesystems;

/* tp-qemu's (and a few tp-libvirt) tests of the composition: runner/type_qemu_*.c,
   type_lv_stress.c */
extern const struct run_type run_type_kdump, run_type_kdump_with_stress, run_type_dd_test,
    run_type_lvm, run_type_linux_stress, run_type_fillup_disk, run_type_ioquit,
    run_type_iofuzz, run_type_linux_s3, run_type_guest_test, run_type_autotest_regression,
    run_type_os_update;
extern const struct run_type run_type_trans_hugepage, run_type_trans_hugepage_swapping,
    run_type_trans_hugepage_relocated, run_type_trans_hugepage_memory_stress,
    run_type_trans_hugepage_defrag, run_type_ksm_services;
extern const struct run_type run_type_nfs_corrupt, run_type_pxe_boot, run_type_pxe_query_cpus,
    run_type_image_copy, run_type_stress_boot;
extern const struct run_type run_type_remove_guest, run_type_module_probe,
    run_type_downgrade_qcow2_version;
extern const struct run_type run_type_disk_io_load, run_type_mem_load,
    run_type_qemu_binary_change;
extern const struct run_type run_type_netstress_kill_guest, run_type_qemu_mac_change,
    run_type_qemu_jumbo, run_type_qemu_multicast, run_type_qemu_migration, run_type_qemu_netperf,
    run_type_qemu_netperf_stress_guest_suspend, run_type_qemu_vlan, run_type_qemu_ethtool,
    run_type_qemu_nic_promisc, run_type_qemu_nicdriver_unload;
/* runner/type_lv_unbuilt.c */
extern const struct run_type run_type_migrate_mem,
    run_type_migrate_service_control,
    run_type_migrate_gluster,
    run_type_migrate_ceph,
    run_type_migration_with_various_memory_backing,
    run_type_migration_with_various_memory_allocation, /* runner/type_mig_balloon.c */
    run_type_migration_with_various_balloon_models, /* runner/type_mig_balloon.c */
    run_type_pause_by_proxy_and_recover,
    run_type_pause_and_io_error_and_recover,
    run_type_migration_with_vhostvdpa,
    run_type_migration_with_vhostuser,
    run_type_migration_with_internally_launched_virtiofs_dev,
    run_type_migration_with_externally_launched_virtiofs_dev,
    run_type_kill_virtiofsd_during_performphase,
    run_type_migration_after_hotplug, /* runner/type_mig_after_hotplug.c */
    run_type_migrate_with_panic_device,
    run_type_migrate_graphics;
/* tp-qemu's tests (runner/type_qemu_*.c) */
extern const struct run_type run_type_fail,
    run_type_skip,
    run_type_warning,
    run_type_ping,
    run_type_file_transfer,
    run_type_stop_continue,
    run_type_shutdown,
    run_type_save_restore,
    run_type_boot_savevm,
    run_type_clock_getres,
    run_type_monotonic_time,
    run_type_tsc,
    run_type_rtc,
    run_type_hwclock,
    run_type_timedrift,
    run_type_timedrift_with_stop,
    run_type_timedrift_with_reboot,
    run_type_timedrift_with_migration,
    run_type_timedrift_with_cpu_offline,
    run_type_timedrift_monotonicity;

const struct run_type *const run_types[] = {
    &run_type_boot,
    &run_type_migrate,
    &run_type_migrate_stress,
    &run_type_migrate_set_get_speed,
    &run_type_setspeed_and_getspeed,
    &run_type_migrate_compcache,
    &run_type_migrate_setmaxdowntime,
    &run_type_migrate_multi_vms,
    &run_type_virsh_migrate,
    &run_type_virsh_migration,
    &run_type_virsh_migrate_option_mix,
    &run_type_virsh_migrate_virtio_scsi,
    &run_type_virsh_migrate_copy_storage,
    &run_type_migrate_compcache_cmd,
    &run_type_setmaxdowntime_and_getmaxdowntime,
    &run_type_live_migration,
    &run_type_migration_kill_libvirt_daemon,
    &run_type_unattended_install,
    &run_type_migration_retain_sparsity,
    &run_type_migrate_vm,
    &run_type_migrate_options_shared,
    &run_type_pause_by_domjobabort_and_recover,
    &run_type_pause_by_network_and_recover,
    &run_type_no_paused_during_recover_migration,
    &run_type_pause_and_recover_and_disruptive,
    &run_type_pause_and_disruptive_and_recover,
    &run_type_unattended_migration_and_disruptive,
    &run_type_pause_and_recover_twice,
    &run_type_unattended_migration,
    &run_type_abort_precopy_migration,
    &run_type_abort_job,
    &run_type_tcp,
    &run_type_migration_bandwidth_limit,
    &run_type_migration_bandwidth,
    &run_type_memory_copy_mode,
    &run_type_migration_maxdowntime,
    &run_type_tcp_migrateuri_and_disks_port,
    &run_type_tcp_common,
    &run_type_tcp_migration_address,
    &run_type_tcp_migration_host,
    &run_type_tcp_migration_port_reuse,
    &run_type_tcp_port_reuse,
    &run_type_migration_with_host_uuid,
    &run_type_migration_with_host_hostname,
    &run_type_migrate_with_various_hostname,
    &run_type_tcp_migration_port_allocation_port_occupied_by_other_app,
    &run_type_migration_network_data_transport,
    &run_type_migrate_network,
    &run_type_p2p_keepalive,
    &run_type_tls,
    &run_type_migration_network_data_transport_tls,
    &run_type_tls_migrate_tls_x509_verify,
    &run_type_autoskipped_disks,
    &run_type_migrate_disks,
    &run_type_precreate_none_target_disk,
    &run_type_target_image_larger_than_source,
    &run_type_migration_performance_tuning,
    &run_type_migration_zerocopy,
    &run_type_migration_precopy_bandwidth,
    &run_type_unix_proxy,
    &run_type_migrate_over_unix,
    &run_type_change_dst_vm_conf,
    &run_type_migration_desturi,
    &run_type_persist_target_vm_and_undefine_src_vm,
    &run_type_persist_target_vm_and_undefine_src_vm_and_abort,
    &run_type_kill_qemu_during_performphase,
    &run_type_destroy_vm_during_performphase,
    &run_type_kill_qemu_during_finishphase,
    &run_type_destroy_vm_during_finishphase,
    &run_type_stop_virtqemud_during_performphase,
    &run_type_abort_by_domjobabort_on_target,
    &run_type_migrate_vm_again_during_migration,
    &run_type_qemu_err_incoming_migration,
    &run_type_abort_before_qemu_layer_mig_start,
    &run_type_disk_io_load_in_vm,
    &run_type_migration_numatune,
    &run_type_migration_with_cpu_mode,
    &run_type_migration_with_special_cpu,
    &run_type_migration_with_memory_devices,
    &run_type_migrate_with_virtual_devices,
    &run_type_migration_with_vtpm_dev,
    &run_type_migration_with_shared_tpm,
    &run_type_migration_with_external_tpm,
    &run_type_migration_with_vtpm_state_on_block_dev,
    &run_type_migrate_bandwidth,
    &run_type_migration_with_backingchain,
    &run_type_migrate_storage,
    &run_type_offline_migration,
    &run_type_migration_poweroff_vm,
    &run_type_query_info_during_migration,
    &run_type_guest_suspend,
    &run_type_async_job,
    &run_type_migration_domjobinfo,
    &run_type_non_live_migration,
    &run_type_pause_resume_vm_during_migration,
    &run_type_suspend_virsh_during_migration,
    &run_type_migration_vm_configuration_and_status,
    &run_type_migrate_paused_vm,
    &run_type_query_domain_job_info,
    &run_type_migrate_event,
    &run_type_migration_xml_update,
    &run_type_target_image_smaller_than_source,
    &run_type_copy_storage_synchronous_writes,
    &run_type_migration_vm_has_no_disk,
    &run_type_migrate_vm_disk_on_shared_storage,
    &run_type_no_sufficient_disk_space_on_target,
    &run_type_block_disk,
    &run_type_migration_with_different_disks,
    &run_type_canonical_paths_in_shared_filesystems,
    &run_type_non_canonical_paths_in_shared_filesystems,
    &run_type_kdump,
    &run_type_kdump_with_stress,
    &run_type_dd_test,
    &run_type_lvm,
    &run_type_linux_stress,
    &run_type_fillup_disk,
    &run_type_ioquit,
    &run_type_iofuzz,
    &run_type_linux_s3,
    &run_type_guest_test,
    &run_type_autotest_regression,
    &run_type_os_update,
    &run_type_trans_hugepage,
    &run_type_trans_hugepage_swapping,
    &run_type_trans_hugepage_relocated,
    &run_type_trans_hugepage_memory_stress,
    &run_type_trans_hugepage_defrag,
    &run_type_ksm_services,
    &run_type_nfs_corrupt,
    &run_type_pxe_boot,
    &run_type_pxe_query_cpus,
    &run_type_image_copy,
    &run_type_stress_boot,
    &run_type_remove_guest,
    &run_type_module_probe,
    &run_type_downgrade_qcow2_version,
    &run_type_disk_io_load,
    &run_type_mem_load,
    &run_type_qemu_binary_change,
    &run_type_netstress_kill_guest,
    &run_type_qemu_mac_change,
    &run_type_qemu_jumbo,
    &run_type_qemu_multicast,
    &run_type_qemu_migration,
    &run_type_qemu_netperf,
    &run_type_qemu_netperf_stress_guest_suspend,
    &run_type_qemu_vlan,
    &run_type_qemu_ethtool,
    &run_type_qemu_nic_promisc,
    &run_type_qemu_nicdriver_unload,
    &run_type_migrate_mem,
    &run_type_migrate_service_control,
    &run_type_migrate_gluster,
    &run_type_migrate_ceph,
    &run_type_migration_with_various_memory_backing,
    &run_type_migration_with_various_memory_allocation,
    &run_type_migration_with_various_balloon_models,
    &run_type_pause_by_proxy_and_recover,
    &run_type_pause_and_io_error_and_recover,
    &run_type_migration_with_vhostvdpa,
    &run_type_migration_with_vhostuser,
    &run_type_migration_with_internally_launched_virtiofs_dev,
    &run_type_migration_with_externally_launched_virtiofs_dev,
    &run_type_kill_virtiofsd_during_performphase,
    &run_type_migration_after_hotplug,
    &run_type_migrate_with_panic_device,
    &run_type_migrate_graphics,
    &run_type_fail,
    &run_type_skip,
    &run_type_warning,
    &run_type_ping,
    &run_type_file_transfer,
    &run_type_stop_continue,
    &run_type_shutdown,
    &run_type_save_restore,
    &run_type_boot_savevm,
    &run_type_clock_getres,
    &run_type_monotonic_time,
    &run_type_tsc,
    &run_type_rtc,
    &run_type_hwclock,
    &run_type_timedrift,
    &run_type_timedrift_with_stop,
    &run_type_timedrift_with_reboot,
    &run_type_timedrift_with_migration,
    &run_type_timedrift_with_cpu_offline,
    &run_type_timedrift_monotonicity,
    NULL,
};

const struct run_type *run_type_lookup(const char *name)
{
    for (size_t i = 0; run_types[i]; i++)
        if (!strcmp(run_types[i]->name, name)
            || (run_types[i]->alias && !strcmp(run_types[i]->alias, name)))
            return run_types[i];
    return NULL;
}
