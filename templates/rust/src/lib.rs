//! {{name}}: a WSL plugin built on wslplugins-rs.
//!
//! WSL loads the DLL when its service starts and calls the hooks below. Hooks run inside the WSL
//! service and WSL waits for them: keep them short, and never panic on purpose.

use std::fs::{File, OpenOptions};
use std::io::Write;

use wslplugins_rs::prelude::*;

/// The plugin's name, also the registry value name WSL shows in its error messages.
const PLUGIN_NAME: &str = "{{name}}";

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
}

#[wsl_plugin_v1{{requirement}}]
impl WSLPluginV1 for Plugin {
    fn try_new(context: &'static WSLContext) -> WinResult<Self> {
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
        Ok(plugin)
    }
{{#vm_started}}

    fn on_vm_started(
        &self,
        session: &WSLSessionInformation,
        _settings: &WSLVmCreationSettings,
    ) -> PluginResult<()> {
        self.log(&format!("VM started, session {}", session.id()));
        Ok(())
    }
{{/vm_started}}
{{#vm_stopping}}

    fn on_vm_stopping(&self, session: &WSLSessionInformation) -> WinResult<()> {
        self.log(&format!("VM stopping, session {}", session.id()));
        Ok(())
    }
{{/vm_stopping}}
{{#distribution_started}}

    fn on_distribution_started(
        &self,
        session: &WSLSessionInformation,
        distribution: &WSLDistributionInformation,
    ) -> PluginResult<()> {
        self.log(&format!(
            "distribution {} started, session {}",
            distribution.name().display(),
            session.id()
        ));
        Ok(())
    }
{{/distribution_started}}
{{#distribution_stopping}}

    fn on_distribution_stopping(
        &self,
        session: &WSLSessionInformation,
        distribution: &WSLDistributionInformation,
    ) -> WinResult<()> {
        self.log(&format!(
            "distribution {} stopping, session {}",
            distribution.name().display(),
            session.id()
        ));
        Ok(())
    }
{{/distribution_stopping}}
{{#distribution_registered}}

    fn on_distribution_registered(
        &self,
        session: &WSLSessionInformation,
        distribution: &WSLOfflineDistributionInformation,
    ) -> WinResult<()> {
        self.log(&format!(
            "distribution {} registered, session {}",
            distribution.name().display(),
            session.id()
        ));
        Ok(())
    }
{{/distribution_registered}}
{{#distribution_unregistered}}

    fn on_distribution_unregistered(
        &self,
        session: &WSLSessionInformation,
        distribution: &WSLOfflineDistributionInformation,
    ) -> WinResult<()> {
        self.log(&format!(
            "distribution {} unregistered, session {}",
            distribution.name().display(),
            session.id()
        ));
        Ok(())
    }
{{/distribution_unregistered}}
}
