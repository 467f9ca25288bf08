//! {{name}}: a WSL plugin built on wslplugins-rs 0.1.0-beta.4.
//!
//! WSL loads the DLL when its service starts and calls the hooks below. Hooks run inside the WSL
//! service and WSL waits for them: keep them short, and return errors rather than panic.
//!
//! Each hook body runs inside `guarded`: the `#[wsl_plugin_v1]` of wslplugins-rs 0.1.0-beta.4
//! does not catch panics, and a panic unwinding out of a hook into WSL aborts the WSL service.
//! `guarded` turns a panic into E_FAIL instead (in on_vm_started and on_distribution_started,
//! with the panic's text as the message WSL prints).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};

use wslplugins_rs::prelude::*;
use wslplugins_rs::windows_core::HRESULT;
{{#has_capabilities}}
use wslplugins_rs::WSLVersionCapability;
{{/has_capabilities}}

/// The plugin's name, also the registry value name WSL shows in its error messages.
const PLUGIN_NAME: &str = "{{name}}";

/// E_FAIL (0x80004005), what a hook returns when it panicked.
const E_FAIL: HRESULT = HRESULT(0x8000_4005_u32 as i32);

pub(crate) struct Plugin {
    context: &'static WSLContext,
    log: Option<File>,
}

impl Plugin {
    /// Appends one line to the plugin's log file (%TEMP%\{{name}}.log of the WSL service,
    /// usually C:\Windows\SystemTemp). Logging must never make a hook fail.
    fn log(&self, line: &str) {
        if let Some(mut file) = self.log.as_ref() {
            let _ = writeln!(file, "{}", line);
        }
    }

    /// Runs a hook's body; a panic in it is logged and becomes the error `on_panic` makes from
    /// the panic's text, instead of unwinding into WSL. (Unused while the plugin has no hooks.)
    #[allow(dead_code)]
    fn guarded<T, E>(
        &self,
        hook: &str,
        body: impl FnOnce() -> Result<T, E>,
        on_panic: impl FnOnce(String) -> E,
    ) -> Result<T, E> {
        match panic::catch_unwind(AssertUnwindSafe(body)) {
            Ok(result) => result,
            Err(payload) => {
                let text = format!(
                    "{}: {} panicked: {}",
                    PLUGIN_NAME,
                    hook,
                    panic_text(&*payload)
                );
                self.log(&text);
                Err(on_panic(text))
            }
        }
    }
}

/// The message of a panic (`panic!("...")` carries a &str or a String).
#[allow(dead_code)]
fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "a panic without a message"
    }
}

/// For hooks returning PluginResult: E_FAIL with the text, which WSL prints as the plugin's error.
#[allow(dead_code)]
fn plugin_error(text: String) -> PluginError {
    PluginError::with_message(E_FAIL, std::ffi::OsString::from(text))
}

/// For hooks returning WinResult: E_FAIL (WSL shows no message for these hooks).
#[allow(dead_code)]
fn win_error(_text: String) -> WinError {
    WinError::from(E_FAIL)
}

#[wsl_plugin_v1{{requirement}}]
impl WSLPluginV1 for Plugin {
    fn try_new(context: &'static WSLContext) -> WinResult<Self> {
        // No Plugin to guard through yet: catch a panic here directly.
        panic::catch_unwind(AssertUnwindSafe(|| {
            let log = OpenOptions::new()
                .create(true)
                .append(true)
                .open(std::env::temp_dir().join(format!("{}.log", PLUGIN_NAME)))
                .ok();
            let plugin = Plugin { context, log };
            plugin.log(&format!(
                "{} loaded by WSL {}",
                PLUGIN_NAME,
                plugin.context.api.version()
            ));
            plugin
        }))
        .map_err(|_| WinError::from(E_FAIL))
    }
{{#vm_started}}

    fn on_vm_started(
        &self,
        session: &WSLSessionInformation,
        _settings: &WSLVmCreationSettings,
    ) -> PluginResult<()> {
        self.guarded(
            "on_vm_started",
            || {
                self.log(&format!("VM started, session {}", session.id()));
                Ok(())
            },
            plugin_error,
        )
    }
{{/vm_started}}
{{#vm_stopping}}

    fn on_vm_stopping(&self, session: &WSLSessionInformation) -> WinResult<()> {
        self.guarded(
            "on_vm_stopping",
            || {
                self.log(&format!("VM stopping, session {}", session.id()));
                Ok(())
            },
            win_error,
        )
    }
{{/vm_stopping}}
{{#distribution_started}}

    fn on_distribution_started(
        &self,
        session: &WSLSessionInformation,
        distribution: &WSLDistributionInformation,
    ) -> PluginResult<()> {
        self.guarded(
            "on_distribution_started",
            || {
                self.log(&format!(
                    "distribution {} started, session {}",
                    distribution.name().to_string_lossy(),
                    session.id()
                ));
                Ok(())
            },
            plugin_error,
        )
    }
{{/distribution_started}}
{{#distribution_stopping}}

    fn on_distribution_stopping(
        &self,
        session: &WSLSessionInformation,
        distribution: &WSLDistributionInformation,
    ) -> WinResult<()> {
        self.guarded(
            "on_distribution_stopping",
            || {
                self.log(&format!(
                    "distribution {} stopping, session {}",
                    distribution.name().to_string_lossy(),
                    session.id()
                ));
                Ok(())
            },
            win_error,
        )
    }
{{/distribution_stopping}}
{{#distribution_registered}}

    fn on_distribution_registered(
        &self,
        session: &WSLSessionInformation,
        distribution: &WSLOfflineDistributionInformation,
    ) -> WinResult<()> {
        self.guarded(
            "on_distribution_registered",
            || {
                self.log(&format!(
                    "distribution {} registered, session {}",
                    distribution.name().to_string_lossy(),
                    session.id()
                ));
                Ok(())
            },
            win_error,
        )
    }
{{/distribution_registered}}
{{#distribution_unregistered}}

    fn on_distribution_unregistered(
        &self,
        session: &WSLSessionInformation,
        distribution: &WSLOfflineDistributionInformation,
    ) -> WinResult<()> {
        self.guarded(
            "on_distribution_unregistered",
            || {
                self.log(&format!(
                    "distribution {} unregistered, session {}",
                    distribution.name().to_string_lossy(),
                    session.id()
                ));
                Ok(())
            },
            win_error,
        )
    }
{{/distribution_unregistered}}
}
