//! Local key storage for the CLI: BIP39 mnemonics, `m/44'/118'/0'/0/0` secp256k1 keys.
//!
//! - `test` backend: `<home>/keyring-test/<name>.json`, unencrypted (for development, like the
//!   Cosmos SDK's test keyring).
//! - `file` backend: `<home>/keyring-file/<name>.json`, the private key sealed with
//!   ChaCha20-Poly1305 under an Argon2id key derived from a passphrase
//!   (`OPENLEDGER_KEYRING_PASSPHRASE`, or asked on the terminal).

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use cosmrs::crypto::secp256k1::SigningKey;
use openledger_framework::Address;
use rand::RngCore;
use serde::{Deserialize, Serialize};

pub const HD_PATH: &str = "m/44'/118'/0'/0/0";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Test,
    File,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredKey {
    name: String,
    address: String,
    /// Compressed secp256k1 public key, hex.
    pubkey: String,
    /// Hex private key (test backend).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    private_key: Option<String>,
    /// Sealed private key (file backend): salt, nonce, ciphertext, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed: Option<Sealed>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Sealed {
    salt: String,
    nonce: String,
    ciphertext: String,
}

/// What `keys show` / `keys list` print.
#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub address: String,
    pub pubkey: String,
}

pub struct Keyring {
    dir: PathBuf,
    backend: Backend,
}

fn validate_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        || name.starts_with('.')
    {
        bail!("invalid key name {name:?}: use letters, digits, '-', '_' and '.'");
    }
    Ok(())
}

pub fn derive_key(mnemonic: &str) -> anyhow::Result<SigningKey> {
    let m = bip39::Mnemonic::parse_normalized(mnemonic.trim())
        .map_err(|e| anyhow!("invalid mnemonic: {e}"))?;
    let seed = m.to_seed("");
    let path: bip32::DerivationPath = HD_PATH.parse().map_err(|e| anyhow!("{e}"))?;
    let xprv =
        bip32::XPrv::derive_from_path(seed, &path).map_err(|e| anyhow!("deriving key: {e}"))?;
    SigningKey::from_slice(&xprv.private_key().to_bytes()).map_err(|e| anyhow!("{e}"))
}

pub fn address_of(key: &SigningKey) -> anyhow::Result<Address> {
    let pk = key.public_key().to_bytes();
    Ok(Address::from_secp256k1(&pk)?)
}

fn passphrase(confirm: bool) -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("OPENLEDGER_KEYRING_PASSPHRASE") {
        return Ok(p);
    }
    let p =
        rpassword::prompt_password("Enter keyring passphrase: ").context("reading passphrase")?;
    if confirm {
        let again = rpassword::prompt_password("Re-enter keyring passphrase: ")
            .context("reading passphrase")?;
        if again != p {
            bail!("passphrases do not match");
        }
    }
    if p.len() < 8 {
        bail!("passphrase must be at least 8 characters");
    }
    Ok(p)
}

fn kdf(pass: &str, salt: &[u8]) -> anyhow::Result<[u8; 32]> {
    let mut key = [0u8; 32];
    argon2::Argon2::default()
        .hash_password_into(pass.as_bytes(), salt, &mut key)
        .map_err(|e| anyhow!("argon2: {e}"))?;
    Ok(key)
}

impl Keyring {
    pub fn new(home: &Path, backend: Backend) -> Self {
        let dir = home.join(match backend {
            Backend::Test => "keyring-test",
            Backend::File => "keyring-file",
        });
        Self { dir, backend }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Stores a key derived from `mnemonic` under `name`.
    pub fn add(&self, name: &str, mnemonic: &str) -> anyhow::Result<KeyInfo> {
        validate_name(name)?;
        if self.path(name).exists() {
            bail!("key {name:?} already exists; delete it first");
        }
        let key = derive_key(mnemonic)?;
        let address = address_of(&key)?;
        let pubkey = hex::encode(key.public_key().to_bytes());
        let secret = hex::encode(key_bytes(mnemonic)?);
        let mut stored = StoredKey {
            name: name.into(),
            address: address.to_bech32(),
            pubkey,
            private_key: None,
            sealed: None,
        };
        match self.backend {
            Backend::Test => stored.private_key = Some(secret),
            Backend::File => {
                let pass = passphrase(true)?;
                let mut salt = [0u8; 16];
                let mut nonce = [0u8; 12];
                rand::thread_rng().fill_bytes(&mut salt);
                rand::thread_rng().fill_bytes(&mut nonce);
                let cipher = ChaCha20Poly1305::new_from_slice(&kdf(&pass, &salt)?)
                    .map_err(|e| anyhow!("{e}"))?;
                let ct = cipher
                    .encrypt(&Nonce::from(nonce), secret.as_bytes())
                    .map_err(|e| anyhow!("encrypt: {e}"))?;
                stored.sealed = Some(Sealed {
                    salt: hex::encode(salt),
                    nonce: hex::encode(nonce),
                    ciphertext: hex::encode(ct),
                });
            }
        }
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        let path = self.path(name);
        std::fs::write(&path, serde_json::to_vec_pretty(&stored)?)
            .with_context(|| format!("writing {}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(info(&stored))
    }

    fn load(&self, name: &str) -> anyhow::Result<StoredKey> {
        validate_name(name)?;
        let path = self.path(name);
        let bytes = std::fs::read(&path).map_err(|_| {
            anyhow!(
                "key {name:?} not found in the {:?} keyring ({})",
                self.backend,
                self.dir.display()
            )
        })?;
        serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn show(&self, name: &str) -> anyhow::Result<KeyInfo> {
        Ok(info(&self.load(name)?))
    }

    pub fn list(&self) -> anyhow::Result<Vec<KeyInfo>> {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Ok(out);
        };
        for e in entries {
            let p = e?.path();
            if p.extension().is_some_and(|x| x == "json")
                && let Some(name) = p.file_stem().and_then(|s| s.to_str())
            {
                out.push(self.show(name)?);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    pub fn delete(&self, name: &str) -> anyhow::Result<()> {
        self.load(name)?;
        std::fs::remove_file(self.path(name))?;
        Ok(())
    }

    /// The signing key (asks for the passphrase with the file backend).
    pub fn signing_key(&self, name: &str) -> anyhow::Result<SigningKey> {
        let stored = self.load(name)?;
        let secret_hex = match (&stored.private_key, &stored.sealed) {
            (Some(k), _) => k.clone(),
            (None, Some(s)) => {
                let pass = passphrase(false)?;
                let cipher = ChaCha20Poly1305::new_from_slice(&kdf(&pass, &hex::decode(&s.salt)?)?)
                    .map_err(|e| anyhow!("{e}"))?;
                let nonce: [u8; 12] = hex::decode(&s.nonce)?
                    .try_into()
                    .map_err(|_| anyhow!("corrupt key file: bad nonce"))?;
                let pt = cipher
                    .decrypt(&Nonce::from(nonce), hex::decode(&s.ciphertext)?.as_slice())
                    .map_err(|_| anyhow!("wrong passphrase for key {name:?}"))?;
                String::from_utf8(pt)?
            }
            (None, None) => bail!("key {name:?} has no private key"),
        };
        SigningKey::from_slice(&hex::decode(secret_hex)?).map_err(|e| anyhow!("{e}"))
    }
}

fn key_bytes(mnemonic: &str) -> anyhow::Result<Vec<u8>> {
    let m = bip39::Mnemonic::parse_normalized(mnemonic.trim())
        .map_err(|e| anyhow!("invalid mnemonic: {e}"))?;
    let path: bip32::DerivationPath = HD_PATH.parse().map_err(|e| anyhow!("{e}"))?;
    let xprv = bip32::XPrv::derive_from_path(m.to_seed(""), &path)
        .map_err(|e| anyhow!("deriving key: {e}"))?;
    Ok(xprv.private_key().to_bytes().to_vec())
}

fn info(k: &StoredKey) -> KeyInfo {
    KeyInfo {
        name: k.name.clone(),
        kind: "local".into(),
        address: k.address.clone(),
        pubkey: format!(
            "{{\"@type\":\"/cosmos.crypto.secp256k1.PubKey\",\"key\":\"{}\"}}",
            b64(&hex::decode(&k.pubkey).unwrap_or_default())
        ),
    }
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A fresh 24-word mnemonic.
pub fn new_mnemonic() -> anyhow::Result<String> {
    let mut entropy = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut entropy);
    Ok(bip39::Mnemonic::from_entropy(&entropy)
        .map_err(|e| anyhow!("{e}"))?
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_mnemonic_derives_the_cosmos_address() {
        // The faucet account of cosmjs' test suites, index 0 of the Cosmos HD path.
        let m = "economy stock theory fatal elder harbor betray wasp final emotion task crumble siren bottom lizard educate guess current outdoor pair theory focus wife stone";
        let key = derive_key(m).unwrap();
        assert_eq!(
            address_of(&key).unwrap().with_prefix("cosmos"),
            "cosmos1pkptre7fdkl6gfrzlesjjvhxhlc3r4gmmk8rs6"
        );
    }

    #[test]
    fn file_backend_seals_and_opens() {
        let dir = tempfile::tempdir().unwrap();
        // SAFETY: single-threaded test setting a variable only this test reads.
        unsafe { std::env::set_var("OPENLEDGER_KEYRING_PASSPHRASE", "correct horse battery") };
        let kr = Keyring::new(dir.path(), Backend::File);
        let m = new_mnemonic().unwrap();
        let info = kr.add("alice", &m).unwrap();
        let raw = std::fs::read_to_string(dir.path().join("keyring-file/alice.json")).unwrap();
        assert!(!raw.contains("private_key"));
        let key = kr.signing_key("alice").unwrap();
        assert_eq!(address_of(&key).unwrap().to_bech32(), info.address);
        assert!(kr.add("alice", &m).is_err());
        assert!(kr.add("../evil", &m).is_err());
    }
}
