package io.dtrbackup.contract.events;

/** Why a backup was requested; recorded in the manifest. */
public enum Trigger {
    /** A person, through the CLI or any producer. */
    MANUAL,
    /** The cluster's cron schedule in the cluster registry. */
    SCHEDULE,
    /** Another system's event (a CI job before an upgrade, a webhook bridge...). */
    EVENT
}
