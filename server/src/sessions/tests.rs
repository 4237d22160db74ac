//! Tests of sessions: sealing, store kinds, keys, and ends shared by instances.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::*;

#[test]
fn sealed_values_open_only_with_their_key() {
    let a = Sealer::new(&[7; 32]);
    let b = Sealer::new(&[8; 32]);
    let sealed = a.seal(b"refresh-token-123").unwrap();
    assert!(!sealed.contains("refresh-token"));
    assert_eq!(a.open(&sealed).unwrap(), b"refresh-token-123");
    assert!(b.open(&sealed).is_none(), "another key cannot open it");
    let mut tampered = STANDARD.decode(&sealed).unwrap();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert!(a.open(&STANDARD.encode(tampered)).is_none(), "an altered value is refused");
    assert!(a.open("not base64 !").is_none());
    assert_ne!(a.seal(b"x").unwrap(), a.seal(b"x").unwrap(), "fresh nonce each time");
}

/// Two instances sharing one store: an end on one keeps a late save on the other out.
#[tokio::test]
async fn an_ended_session_stays_ended_on_every_instance_sharing_the_store() {
    let shared: Arc<dyn SessionStore> = Arc::new(MemoryStore::default());
    let (a, b) = (
        DynStore::shared(shared.clone(), RecordIds::new(&[5; 32])),
        DynStore::shared(shared.clone(), RecordIds::new(&[5; 32])),
    );
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    a.create(&mut record).await.unwrap();
    assert!(b.load(&record.id).await.unwrap().is_some(), "shared");
    assert!(shared.load(&record.id).await.unwrap().is_none(), "not under the cookie's id");
    a.delete(&record.id).await.unwrap();
    b.save(&record).await.unwrap();
    assert!(a.load(&record.id).await.unwrap().is_none(), "B's late save was dropped");
    assert!(b.load(&record.id).await.unwrap().is_none());
}

#[test]
fn store_kinds_parse() {
    assert!(matches!(StoreKind::parse(None).unwrap(), StoreKind::Sqlite(_)));
    assert_eq!(StoreKind::parse(Some("sqlite:/tmp/s.db")).unwrap(), StoreKind::Sqlite("/tmp/s.db".into()));
    assert!(matches!(StoreKind::parse(Some("redis://127.0.0.1:6379")).unwrap(), StoreKind::Redis(_)));
    assert_eq!(StoreKind::parse(Some("memory")).unwrap(), StoreKind::Memory);
    assert!(StoreKind::parse(Some("postgres://x")).is_err());
}

#[test]
fn keys_load_from_value_and_are_generated_once() {
    let k = load_key(&KeySource::Value(Secret::new(STANDARD.encode([1u8; 32])))).unwrap();
    assert_eq!(k, [1u8; 32]);
    assert!(load_key(&KeySource::Value(Secret::new("short"))).is_err());
    let dir = std::env::temp_dir().join(format!("pat-portal-key-{}", uuid::Uuid::new_v4()));
    let path = dir.join("k");
    let first = load_key(&KeySource::Generated(path.clone())).unwrap();
    let second = load_key(&KeySource::Generated(path.clone())).unwrap();
    assert_eq!(first, second, "kept across restarts");
    let _ = std::fs::remove_dir_all(dir);
}

/// Each record's data is sealed and bound to the id it is stored under: copied under another
/// session's id (to become that user), it does not open.
#[tokio::test]
async fn a_record_opens_only_under_its_own_id() {
    let inner = Arc::new(MemoryStore::default());
    let store = DynStore::new(inner.clone(), RecordIds::new(&[6; 32]));
    let record = |value: &str| Record {
        id: Id::default(),
        data: HashMap::from([("who".to_string(), serde_json::json!(value))]),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    let (mut victim, mut thief) = (record("victim"), record("thief"));
    store.create(&mut victim).await.unwrap();
    store.create(&mut thief).await.unwrap();
    let raw = inner.load(&store.stored_id(&victim.id)).await.unwrap().unwrap();
    assert!(!format!("{:?}", raw.data).contains("victim"), "sealed at rest");
    let copied =
        Record { id: store.stored_id(&thief.id), data: raw.data.clone(), expiry_date: raw.expiry_date };
    inner.save(&copied).await.unwrap();
    assert!(store.load(&thief.id).await.unwrap().is_none(), "the copy does not open under another id");
    assert_eq!(store.load(&victim.id).await.unwrap().unwrap().data["who"], "victim");
}
