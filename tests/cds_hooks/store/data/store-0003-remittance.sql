BEGIN TRANSACTION;
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO "alembic_version" VALUES('0003');
CREATE TABLE call_orders (
	id INTEGER NOT NULL, 
	call_id INTEGER NOT NULL, 
	order_ref TEXT NOT NULL, 
	test_code TEXT, 
	list_price NUMERIC(12, 2), 
	cpt TEXT, 
	date_of_service DATE, 
	payer TEXT, 
	requester TEXT, 
	evaluated TEXT NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(call_id) REFERENCES hook_calls (id)
);
CREATE TABLE "cards" (
	uuid VARCHAR(36) NOT NULL, 
	call_id INTEGER NOT NULL, 
	service VARCHAR(100) NOT NULL, 
	hook_instance TEXT NOT NULL, 
	orders TEXT NOT NULL, 
	rules TEXT NOT NULL, 
	indicator VARCHAR(20) NOT NULL, 
	card_type VARCHAR(50) NOT NULL, 
	summary TEXT, 
	PRIMARY KEY (uuid), 
	FOREIGN KEY(call_id) REFERENCES hook_calls (id)
);
CREATE TABLE "feedback" (
	id INTEGER NOT NULL, 
	service VARCHAR(100) NOT NULL, 
	card_uuid TEXT NOT NULL, 
	outcome VARCHAR(20) NOT NULL, 
	accepted_suggestions TEXT NOT NULL, 
	override_system TEXT, 
	override_code TEXT, 
	override_comment TEXT, 
	outcome_at DATETIME NOT NULL, 
	received_at DATETIME NOT NULL, 
	issuer TEXT, 
	record_id VARCHAR(36), 
	item_no INTEGER, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_feedback_record_item UNIQUE (record_id, item_no)
);
CREATE TABLE findings (
	id INTEGER NOT NULL, 
	call_id INTEGER NOT NULL, 
	order_ref TEXT NOT NULL, 
	rule VARCHAR(100) NOT NULL, 
	severity VARCHAR(20) NOT NULL, 
	test_code TEXT, 
	list_price NUMERIC(12, 2), 
	card_uuid VARCHAR(36), 
	PRIMARY KEY (id), 
	FOREIGN KEY(call_id) REFERENCES hook_calls (id)
);
CREATE TABLE "hook_calls" (
	id INTEGER NOT NULL, 
	hook_instance TEXT NOT NULL, 
	service VARCHAR(100) NOT NULL, 
	hook VARCHAR(50) NOT NULL, 
	issuer TEXT, 
	orders TEXT NOT NULL, 
	knowledge_version VARCHAR(50) NOT NULL, 
	received_at DATETIME NOT NULL, 
	duration_ms FLOAT NOT NULL, 
	record_id VARCHAR(36), 
	patient TEXT, 
	actions TEXT, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_hook_calls_record_id UNIQUE (record_id)
);
CREATE TABLE remittance_lines (
	id INTEGER NOT NULL, 
	remittance_id INTEGER NOT NULL, 
	claim TEXT NOT NULL, 
	line_no INTEGER NOT NULL, 
	control_number TEXT, 
	patient TEXT, 
	cpt TEXT, 
	date_of_service DATE, 
	charge NUMERIC(12, 2) NOT NULL, 
	paid NUMERIC(12, 2) NOT NULL, 
	carcs TEXT NOT NULL, 
	rarcs TEXT NOT NULL, 
	category VARCHAR(30) NOT NULL, 
	paid_on DATE, 
	PRIMARY KEY (id), 
	FOREIGN KEY(remittance_id) REFERENCES remittances (id)
);
INSERT INTO "remittance_lines" VALUES(1,1,'ZCODE',1,'sr-1','pat-1','81445','2025-12-01',1200,0,'["CO-252"]','["N706", "N704"]','zcode','2026-01-15');
INSERT INTO "remittance_lines" VALUES(2,1,'ZCODE-N704',1,NULL,'pat-1','81445','2025-12-01',1200,0,'["CO-252"]','["N704"]','zcode','2026-01-15');
INSERT INTO "remittance_lines" VALUES(3,1,'MEDICAL-NECESSITY',1,NULL,'PAT1','81445','2025-12-01',1200,0,'["CO-50"]','["N115"]','medical-necessity','2026-01-15');
INSERT INTO "remittance_lines" VALUES(4,1,'NON-COVERED',1,NULL,'PAT1','81456','2025-12-01',1400,0,'["CO-96"]','["N431"]','non-covered','2026-01-15');
INSERT INTO "remittance_lines" VALUES(5,1,'ATTACHMENT',1,NULL,'PAT1','81445','2025-12-01',1200,0,'["CO-252"]','["M127"]','other','2026-01-15');
INSERT INTO "remittance_lines" VALUES(6,1,'DUPLICATE',1,NULL,'PAT1','81445','2025-12-01',1200,0,'["CO-18"]','[]','other','2026-01-15');
INSERT INTO "remittance_lines" VALUES(7,1,'PAID',1,NULL,'PAT1','81445','2025-12-01',1200,1000,'["CO-45"]','[]','paid','2026-01-15');
CREATE TABLE remittances (
	id INTEGER NOT NULL, 
	digest VARCHAR(64) NOT NULL, 
	payer TEXT, 
	imported_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_remittances_digest UNIQUE (digest)
);
INSERT INTO "remittances" VALUES(1,'a7e51d1c29d297d93e3c2dd10002240ca8055ed49542760b55dbdbfa284e9bd6','02302','2026-12-07 01:31:32.073172');
CREATE TABLE suggestions (
	uuid VARCHAR(36) NOT NULL, 
	card_uuid VARCHAR(36) NOT NULL, label TEXT, actions TEXT, 
	PRIMARY KEY (uuid), 
	FOREIGN KEY(card_uuid) REFERENCES cards (uuid)
);
CREATE TABLE token_uses (
	issuer VARCHAR(500) NOT NULL, 
	jti VARCHAR(500) NOT NULL, 
	expires_at FLOAT NOT NULL, 
	PRIMARY KEY (issuer, jti)
);
CREATE INDEX ix_suggestions_card_uuid ON suggestions (card_uuid);
CREATE INDEX ix_token_uses_expires_at ON token_uses (expires_at);
CREATE INDEX ix_hook_calls_hook_instance ON hook_calls (hook_instance);
CREATE INDEX ix_hook_calls_received_at ON hook_calls (received_at);
CREATE INDEX ix_cards_call_id ON cards (call_id);
CREATE INDEX ix_feedback_card_uuid ON feedback (card_uuid);
CREATE INDEX ix_feedback_received_at ON feedback (received_at);
CREATE INDEX ix_findings_call_id ON findings (call_id);
CREATE INDEX ix_findings_rule ON findings (rule);
CREATE INDEX ix_findings_card_uuid ON findings (card_uuid);
CREATE INDEX ix_call_orders_call_id ON call_orders (call_id);
CREATE INDEX ix_call_orders_order_ref ON call_orders (order_ref);
CREATE INDEX ix_remittance_lines_remittance_id ON remittance_lines (remittance_id);
COMMIT;
