//! Password hashing: argon2id, always off the async runtime.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

use crate::error::AppError;

/// A valid argon2id hash of a random password nobody knows. Unknown emails are
/// checked against it so a failed sign-in takes as long whether or not the account
/// exists.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1R4QFvPRp6Nl9nZuyR1M2QXMm0TR4KA6oD1H0Z2x3FQ";

pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(AppError::internal)
    })
    .await
    .map_err(AppError::internal)?
}

/// True when `hash` was made with other settings than [`hash_password`] uses now
/// (another algorithm, version or cost): the sign-in that proves the password then
/// stores a new hash, so raising the cost reaches every account that signs in.
pub fn needs_rehash(hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return true;
    };
    let current = Argon2::default();
    let now = current.params();
    let same_params = argon2::Params::try_from(&parsed).is_ok_and(|p| {
        (p.m_cost(), p.t_cost(), p.p_cost()) == (now.m_cost(), now.t_cost(), now.p_cost())
    });
    parsed.algorithm != argon2::Algorithm::Argon2id.ident()
        || parsed.version != Some(argon2::Version::V0x13.into())
        || !same_params
}

/// True when `password` matches `hash`. With no hash (unknown user) it checks a
/// dummy hash and returns false, taking the same time.
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let stored = hash.unwrap_or_else(|| DUMMY_HASH.to_string());
        let parsed = match PasswordHash::new(&stored) {
            Ok(p) => p,
            Err(e) => {
                return Err(AppError::internal(format!(
                    "stored password hash unreadable: {e}"
                )))
            }
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && ok)
    })
    .await
    .map_err(AppError::internal)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_own_password_only() {
        let h = hash_password("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse battery".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong horse battery".into(), Some(h))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn a_hash_made_with_older_settings_is_renewed() {
        let fresh = hash_password("correct horse battery".into()).await.unwrap();
        assert!(!needs_rehash(&fresh));
        let weak = Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(4096, 1, 1, None).unwrap(),
        )
        .hash_password(b"correct horse battery", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        assert!(needs_rehash(&weak));
        assert!(needs_rehash(
            DUMMY_HASH.replace("m=19456", "m=8192").as_str()
        ));
        assert!(needs_rehash("not a hash"));
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies_but_the_dummy_hash_is_checked() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify_password("anything at all".into(), None)
            .await
            .unwrap());
    }
}
