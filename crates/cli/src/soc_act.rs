//! The SOC's hands: playbook steps carried out against a running
//! `palisade serve` (its admin API), the file system and webhooks.

use palisade_soc::playbook::Actuator;
use std::path::PathBuf;
use std::time::Duration;

/// Acts through the gateway's admin API and the local file system.
pub struct HttpActuator {
    /// The gateway's base URL, e.g. `http://127.0.0.1:8080`.
    pub gateway: Option<String>,
    /// The admin token.
    pub admin_token: Option<String>,
    /// Where quarantined files go.
    pub quarantine_dir: PathBuf,
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl HttpActuator {
    /// An actuator; fails only if no runtime or HTTP client can be made.
    pub fn new(
        gateway: Option<String>,
        admin_token: Option<String>,
        quarantine_dir: PathBuf,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            gateway: gateway.map(|g| g.trim_end_matches('/').to_string()),
            admin_token,
            quarantine_dir,
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
        })
    }

    fn admin_call(&self, req: reqwest::RequestBuilder, timeout_s: u64) -> Result<String, String> {
        let token = self
            .admin_token
            .as_deref()
            .ok_or("no admin token (set the variable named by --admin-token-env)")?;
        // reqwest arms its timer when the request is sent, so the whole
        // call runs inside the runtime.
        let req = req
            .bearer_auth(token)
            .timeout(Duration::from_secs(timeout_s.max(1)));
        let resp = self
            .rt
            .block_on(async move { req.send().await })
            .map_err(|e| format!("gateway unreachable: {e}"))?;
        let status = resp.status();
        let body = self.rt.block_on(resp.text()).unwrap_or_default();
        if status.is_success() {
            Ok(format!(
                "HTTP {}: {}",
                status.as_u16(),
                body.chars().take(200).collect::<String>()
            ))
        } else {
            Err(format!(
                "HTTP {}: {}",
                status.as_u16(),
                body.chars().take(300).collect::<String>()
            ))
        }
    }

    fn gateway(&self) -> Result<&str, String> {
        self.gateway
            .as_deref()
            .ok_or_else(|| "no --gateway URL given".to_string())
    }
}

impl Actuator for HttpActuator {
    fn block_client(
        &self,
        addr: &str,
        ttl_s: u64,
        reason: &str,
        timeout_s: u64,
    ) -> Result<String, String> {
        let url = format!("{}/v1/admin/blocks", self.gateway()?);
        let body = serde_json::json!({"address": addr, "ttl_s": ttl_s, "reason": reason});
        self.admin_call(self.client.post(url).json(&body), timeout_s)
    }

    fn revoke_key(&self, key_id: &str, _reason: &str, timeout_s: u64) -> Result<String, String> {
        let url = format!("{}/v1/admin/keys/{key_id}", self.gateway()?);
        self.admin_call(self.client.delete(url), timeout_s)
    }

    fn quarantine_file(&self, path: &str, reason: &str) -> Result<String, String> {
        let src = PathBuf::from(path);
        let name = src
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{path} has no file name"))?;
        std::fs::create_dir_all(&self.quarantine_dir)
            .map_err(|e| format!("creating {}: {e}", self.quarantine_dir.display()))?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let dst = self
            .quarantine_dir
            .join(format!("{stamp}-{name}.quarantined"));
        // A rename keeps the bytes for forensics and is atomic on one file
        // system; across file systems, copy then remove.
        if std::fs::rename(&src, &dst).is_err() {
            std::fs::copy(&src, &dst).map_err(|e| format!("copying {path}: {e}"))?;
            std::fs::remove_file(&src).map_err(|e| format!("removing {path}: {e}"))?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o000));
        }
        let note = dst.with_extension("quarantined.txt");
        let _ = std::fs::write(&note, format!("original: {path}\nreason: {reason}\n"));
        Ok(format!("moved to {}", dst.display()))
    }

    fn webhook(
        &self,
        url: &str,
        body: &serde_json::Value,
        timeout_s: u64,
    ) -> Result<String, String> {
        let req = self
            .client
            .post(url)
            .json(body)
            .timeout(Duration::from_secs(timeout_s.max(1)));
        let resp = self
            .rt
            .block_on(async move { req.send().await })
            .map_err(|e| format!("webhook unreachable: {e}"))?;
        if resp.status().is_success() {
            Ok(format!("HTTP {}", resp.status().as_u16()))
        } else {
            Err(format!("HTTP {}", resp.status().as_u16()))
        }
    }
}
