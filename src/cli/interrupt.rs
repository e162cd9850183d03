//! Ctrl-C. By default it ends the command at once — except while a commit is
//! moving the branch and the index (then the commit finishes first), and
//! during a broadcast, where it asks the send engine to stop cleanly.

use std::sync::OnceLock;

use sms_bcast::gitstore;
use sms_bcast::send::StopFlag;

static STOP: OnceLock<StopFlag> = OnceLock::new();

/// Installs the one process-wide Ctrl-C handler.
pub fn install() {
    // Failing to install leaves the default (immediate exit), which is no worse.
    let _ = ctrlc::set_handler(|| {
        if let Some(stop) = STOP.get() {
            stop.stop();
        } else if !gitstore::committing() {
            std::process::exit(130);
        }
        // A commit is under way: it completes, and the command with it.
    });
}

/// From now on Ctrl-C raises `stop` instead of ending the process.
pub fn stop_with(stop: StopFlag) {
    let _ = STOP.set(stop);
}
