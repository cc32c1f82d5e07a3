PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO alembic_version VALUES('0002');
CREATE TABLE suggestions (
	uuid VARCHAR(36) NOT NULL, 
	card_uuid VARCHAR(36) NOT NULL, label TEXT, actions TEXT, 
	PRIMARY KEY (uuid), 
	FOREIGN KEY(card_uuid) REFERENCES cards (uuid)
);
INSERT INTO suggestions VALUES('cc9502ce-ab75-45bf-b30b-ef804e48dab9','b3879b42-af76-433c-947a-6fb92d2cdac5','Order Solid tumor comprehensive genomic profile (DNA plus RNA fusions) (CMD-CGP-DR), Z-code ZC6R8','["ServiceRequest/sr-1: add test code CMD-CGP-DR and Z-code ZC6R8"]');
INSERT INTO suggestions VALUES('d8857f2a-5118-43df-9b0c-304aa61b36c9','b3879b42-af76-433c-947a-6fb92d2cdac5','Order Homologous recombination deficiency score (CMD-HRD), Z-code ZH9D2','["ServiceRequest/sr-1: add test code CMD-HRD and Z-code ZH9D2"]');
INSERT INTO suggestions VALUES('8b678346-45d3-44c6-94a4-a02d8518a9f0','b3879b42-af76-433c-947a-6fb92d2cdac5','Order KRAS/NRAS/BRAF hotspot panel (3 genes) (CMD-KNB3), Z-code ZK3B5','["ServiceRequest/sr-1: add test code CMD-KNB3 and Z-code ZK3B5"]');
INSERT INTO suggestions VALUES('8b31ecae-58f8-4f2d-81a5-6a54a88c9ba1','74312e18-085e-4aac-a9a0-98e47ee107d3','Drop this order','["ServiceRequest/sr-2: drop the order"]');
INSERT INTO suggestions VALUES('93a781c8-8fde-4ee8-a283-7436dea37a76','b3e312a0-ff52-4bc5-baa5-92693ca7832d','Use C34.90 in place of C34.9','["ServiceRequest/sr-1: replace diagnosis C34.9 with C34.90"]');
INSERT INTO suggestions VALUES('89df1c8d-33db-4ee2-bb07-bdd91158bea1','b3e312a0-ff52-4bc5-baa5-92693ca7832d','Use C34.91 in place of C34.9','["ServiceRequest/sr-1: replace diagnosis C34.9 with C34.91"]');
INSERT INTO suggestions VALUES('5530f061-0e04-42e2-92a7-e2d419cc2f03','b3e312a0-ff52-4bc5-baa5-92693ca7832d','Use C34.92 in place of C34.9','["ServiceRequest/sr-1: replace diagnosis C34.9 with C34.92"]');
INSERT INTO suggestions VALUES('8eb2f1dd-ba56-4a68-8f31-172178483a26','d7c8eb66-0df3-4cab-89f6-43685ec04f3f','Add C34.90 (Condition/cond-1) as a reason for the order','["ServiceRequest/sr-1: add Condition/cond-1 as a reason"]');
INSERT INTO suggestions VALUES('23675641-4ff8-40dc-bdad-bea15f2ece33','58595f94-cc4b-47b0-8ca7-c52af21c81a5','Replace CPT 81445 with 81479','["ServiceRequest/sr-1: replace CPT 81445 with 81479"]');
INSERT INTO suggestions VALUES('5567c7bf-8458-4a3e-85d7-6ec1bc58123b','271ffea9-1757-454d-9733-db865a9f0658','Replace Z-code ZK3B5 with ZL5H2','["ServiceRequest/sr-1: replace Z-code ZK3B5 with ZL5H2"]');
INSERT INTO suggestions VALUES('952e6fcf-67a4-4021-af5d-fe63c0f54dc4','d8303044-d3b8-4296-aef3-aa7aa2b10898','Add CPT 81445 and Z-code ZL5H2','["ServiceRequest/sr-1: add CPT 81445 and Z-code ZL5H2"]');
INSERT INTO suggestions VALUES('f47404b0-e2f9-4456-bfcc-9e2e555fefe9','75e880e5-d856-4b1d-aba4-4726e370f273','Replace CPT 81445 with 81479','["ServiceRequest/sr-1: replace CPT 81445 with 81479"]');
INSERT INTO suggestions VALUES('2d0512c1-afb2-4d22-bc76-a3f0b046015c','602e4744-6c71-4ec3-8df9-faff20de0c30','Use C34.90 in place of C34.9','["ServiceRequest/sr-1: replace diagnosis C34.9 with C34.90"]');
INSERT INTO suggestions VALUES('3c6a687d-30bf-4a68-bfd8-82ce4493cd3d','602e4744-6c71-4ec3-8df9-faff20de0c30','Use C34.91 in place of C34.9','["ServiceRequest/sr-1: replace diagnosis C34.9 with C34.91"]');
INSERT INTO suggestions VALUES('345fb53e-2bb1-41e8-90ae-9b44ff361af0','602e4744-6c71-4ec3-8df9-faff20de0c30','Use C34.92 in place of C34.9','["ServiceRequest/sr-1: replace diagnosis C34.9 with C34.92"]');
INSERT INTO suggestions VALUES('2a63a504-a16a-4f8b-8837-cb11c643997d','33b73bb7-be03-46cd-933b-2c574c99c9ca','Drop this order','["ServiceRequest/sr-1: drop the order"]');
INSERT INTO suggestions VALUES('77cdddce-0e63-499b-8fc3-cd20c71a0e92','af5575c4-2c7e-4e8d-b8a9-e7721e69f194','Drop this order','["ServiceRequest/sr-2: drop the order"]');
INSERT INTO suggestions VALUES('e88f5f83-8e32-49fc-be7d-9f1e5081d748','bb7fff6a-0044-42c7-9bd6-e0367653ae07','Replace Z-code ZM7S1 with ZM7S3','["ServiceRequest/sr-1: replace Z-code ZM7S1 with ZM7S3"]');
INSERT INTO suggestions VALUES('42876e36-87e7-43f8-b712-d92e126a0186','187305eb-9a5e-4c53-b436-4d3627ffe005','Set the quantity to 1','["ServiceRequest/sr-1: set the quantity to 1"]');
CREATE TABLE token_uses (
	issuer VARCHAR(500) NOT NULL, 
	jti VARCHAR(500) NOT NULL, 
	expires_at FLOAT NOT NULL, 
	PRIMARY KEY (issuer, jti)
);
CREATE TABLE IF NOT EXISTS "hook_calls" (
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
INSERT INTO hook_calls VALUES(1,'00000000-0000-4000-8000-0000d5a13007','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1"]','a3e912998fd2','2026-12-01 21:26:43.708401',3.7000000000000001776,'f4ec1a02-a4ab-4ac1-8f1e-9e7b2c70dc6c','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: record coverage information"}]');
INSERT INTO hook_calls VALUES(2,'00000000-0000-4000-8000-0000d5a1e000','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1"]','a3e912998fd2','2026-12-01 21:26:43.713176',1.0,'e9cfe165-08cc-48d0-8794-9b36bbca0e3b','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: record coverage information"}]');
INSERT INTO hook_calls VALUES(3,'00000000-0000-4000-8000-0000d5a1e007','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1"]','a3e912998fd2','2026-12-01 21:26:43.717262',1.5400000000000000355,'2f8935a7-0240-4737-8b74-7aa1a3793378','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: record coverage information"}]');
INSERT INTO hook_calls VALUES(4,'00000000-0000-4000-8000-0000d5a13005','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1", "ServiceRequest/sr-2"]','a3e912998fd2','2026-12-01 21:26:43.722226',1.3500000000000000888,'cada32d0-7896-47a3-840a-cd19d198ebe2','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: record coverage information"}, {"type": "update", "resource": "ServiceRequest/sr-2", "description": "ServiceRequest/sr-2: record coverage information"}]');
INSERT INTO hook_calls VALUES(5,'00000000-0000-4000-8000-0000d5a13004','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1"]','a3e912998fd2','2026-12-01 21:26:43.726566',1.330000000000000071,'4a60fa50-ded5-4386-aaaa-ca8751403982','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: record coverage information"}]');
INSERT INTO hook_calls VALUES(6,'00000000-0000-4000-8000-0000d5a13001','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1"]','a3e912998fd2','2026-12-01 21:26:43.730998',1.0700000000000000621,'55230a7a-6d59-446a-a3e1-49d3c16a99a8','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: record coverage information"}]');
INSERT INTO hook_calls VALUES(7,'00000000-0000-4000-8000-0000d5a13002','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1"]','a3e912998fd2','2026-12-01 21:26:43.734732',1.0900000000000000799,'419fa534-560f-466f-8d11-8bb3d04812cc','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: record coverage information"}]');
INSERT INTO hook_calls VALUES(8,'00000000-0000-4000-8000-0000d5a13003','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1"]','a3e912998fd2','2026-12-01 21:26:43.738685',1.080000000000000071,'3481268f-6047-41f0-a211-fc2c369059dc','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: record coverage information"}]');
INSERT INTO hook_calls VALUES(9,'00000000-0000-4000-8000-0000d5a1e003','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1"]','a3e912998fd2','2026-12-01 21:26:43.742386',1.1200000000000001065,'0ed23faa-d30c-4b8e-b77f-e9357e3bac99','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: replace CPT 81445 with 81479; record coverage information"}]');
INSERT INTO hook_calls VALUES(10,'00000000-0000-4000-8000-0000d5a1e002','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1"]','a3e912998fd2','2026-12-01 21:26:43.746260',1.0300000000000000266,'3017517c-4060-42f4-a5b9-a0dd779f03ea','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: replace Z-code ZK3B5 with ZL5H2; record coverage information"}]');
INSERT INTO hook_calls VALUES(11,'00000000-0000-4000-8000-0000d5a1e001','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1"]','a3e912998fd2','2026-12-01 21:26:43.749953',0.95999999999999996447,'dc47c21e-99a9-4d3f-b7ac-bf8d9845d088','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: add CPT 81445 and Z-code ZL5H2; record coverage information"}]');
INSERT INTO hook_calls VALUES(12,'00000000-0000-4000-8000-0000d5a13009','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1"]','a3e912998fd2','2026-12-01 21:26:43.754003',1.2900000000000000355,'9f6a90ea-3dc9-4056-9fab-835db748dd65','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: replace CPT 81445 with 81479"}]');
INSERT INTO hook_calls VALUES(13,'00000000-0000-4000-8000-0000d5a1e004','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1"]','a3e912998fd2','2026-12-01 21:26:43.758097',0.94999999999999995559,'303b49e8-4634-42ea-adb4-9aa00b261e00','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: record coverage information"}]');
INSERT INTO hook_calls VALUES(14,'00000000-0000-4000-8000-0000d5a1e008','moldx-order-select','order-select',NULL,'["ServiceRequest/example-request-id"]','a3e912998fd2','2026-12-01 21:26:43.761400',0.85999999999999998667,'64cfd3bd-40c1-4055-a63f-38bdd4332d93','pat-1','[]');
INSERT INTO hook_calls VALUES(15,'00000000-0000-4000-8000-0000d5a13006','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1"]','a3e912998fd2','2026-12-01 21:26:43.764603',1.1000000000000000888,'41d3b9d8-d7f7-4a03-b7f5-abc59922e2e5','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: record coverage information"}]');
INSERT INTO hook_calls VALUES(16,'00000000-0000-4000-8000-0000d5a13011','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1", "ServiceRequest/sr-2"]','a3e912998fd2','2026-12-01 21:26:43.768071',1.0700000000000000621,'dd4e43c8-35b7-4582-b0be-33b3c261350c','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: record coverage information"}, {"type": "update", "resource": "ServiceRequest/sr-2", "description": "ServiceRequest/sr-2: record coverage information"}]');
INSERT INTO hook_calls VALUES(17,'00000000-0000-4000-8000-0000d5a1e005','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1"]','a3e912998fd2','2026-12-01 21:26:43.771486',0.91000000000000003108,'1ec02f57-c2a0-44d1-9ee5-f4052e39bb82','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: replace Z-code ZM7S1 with ZM7S3; record coverage information"}]');
INSERT INTO hook_calls VALUES(18,'00000000-0000-4000-8000-0000d5a13010','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1"]','a3e912998fd2','2026-12-01 21:26:43.774729',0.85999999999999998667,'be61553e-aad3-455d-a885-9b9f36cf26e3','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: record coverage information"}]');
INSERT INTO hook_calls VALUES(19,'00000000-0000-4000-8000-0000d5a13008','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1", "ServiceRequest/sr-2"]','a3e912998fd2','2026-12-01 21:26:43.781071',1.1399999999999999023,'4fc3ffd0-fd22-4adb-b8ab-3306d6e140ae','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: record coverage information"}, {"type": "update", "resource": "ServiceRequest/sr-2", "description": "ServiceRequest/sr-2: record coverage information"}]');
INSERT INTO hook_calls VALUES(20,'00000000-0000-4000-8000-0000d5a1e006','moldx-order-sign','order-sign',NULL,'["ServiceRequest/sr-1"]','a3e912998fd2','2026-12-01 21:26:43.784585',0.76000000000000000888,'4b50b17e-735d-4225-b7af-3fafe93bb5a6','pat-1','[{"type": "update", "resource": "ServiceRequest/sr-1", "description": "ServiceRequest/sr-1: record coverage information"}]');
CREATE TABLE IF NOT EXISTS "cards" (
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
INSERT INTO cards VALUES('b3879b42-af76-433c-947a-6fb92d2cdac5',3,'moldx-order-sign','00000000-0000-4000-8000-0000d5a1e007','["ServiceRequest/sr-1"]','["ambiguous-test"]','info','claim','CPT 81479 fits 3 of the lab''s tests: choose the test to get its Z-code');
INSERT INTO cards VALUES('74312e18-085e-4aac-a9a0-98e47ee107d3',4,'moldx-order-sign','00000000-0000-4000-8000-0000d5a13005','["ServiceRequest/sr-2"]','["cgp-specimen"]','warning','claim','EGFR mutation analysis (single gene) is on a specimen with a comprehensive genomic profile: no further molecular test is covered');
INSERT INTO cards VALUES('b3e312a0-ff52-4bc5-baa5-92693ca7832d',5,'moldx-order-sign','00000000-0000-4000-8000-0000d5a13004','["ServiceRequest/sr-1"]','["invalid-diagnosis"]','warning','claim','C34.9 on Lung and colon hotspot panel (50 genes) is not billable: choose a more specific ICD-10-CM code');
INSERT INTO cards VALUES('b3799393-57f9-4637-a037-82a3f5b0b237',5,'moldx-order-sign','00000000-0000-4000-8000-0000d5a13004','["ServiceRequest/sr-1"]','["diagnosis-not-covered"]','warning','coverage-info','Lung and colon hotspot panel (50 genes): diagnosis not covered by A57901; ABN (modifier GA) needed before collection');
INSERT INTO cards VALUES('001a584a-4f6a-4068-a4b7-c0a1da38c07f',6,'moldx-order-sign','00000000-0000-4000-8000-0000d5a13001','["ServiceRequest/sr-1"]','["diagnosis-not-covered"]','warning','coverage-info','Lung and colon hotspot panel (50 genes): diagnosis not covered by A57901; ABN (modifier GA) needed before collection');
INSERT INTO cards VALUES('d7c8eb66-0df3-4cab-89f6-43685ec04f3f',7,'moldx-order-sign','00000000-0000-4000-8000-0000d5a13002','["ServiceRequest/sr-1"]','["diagnosis-not-covered"]','warning','coverage-info','Lung and colon hotspot panel (50 genes): the diagnosis on the order is not covered by A57901');
INSERT INTO cards VALUES('759c4892-6392-4ff3-9032-0d471c736880',8,'moldx-order-sign','00000000-0000-4000-8000-0000d5a13003','["ServiceRequest/sr-1"]','["diagnosis-not-covered"]','warning','coverage-info','Lung and colon hotspot panel (50 genes): diagnosis not covered by A57901; ABN (modifier GA) needed before collection');
INSERT INTO cards VALUES('58595f94-cc4b-47b0-8ca7-c52af21c81a5',9,'moldx-order-sign','00000000-0000-4000-8000-0000d5a1e003','["ServiceRequest/sr-1"]','["mismatched-code", "panel-cpt"]','warning','claim','Fix the billing codes of KRAS/NRAS/BRAF hotspot panel (3 genes): replace CPT 81445 with 81479');
INSERT INTO cards VALUES('271ffea9-1757-454d-9733-db865a9f0658',10,'moldx-order-sign','00000000-0000-4000-8000-0000d5a1e002','["ServiceRequest/sr-1"]','["mismatched-code"]','warning','claim','Wrong Z-code ZK3B5 on Lung and colon hotspot panel (50 genes): use ZL5H2');
INSERT INTO cards VALUES('d8303044-d3b8-4296-aef3-aa7aa2b10898',11,'moldx-order-sign','00000000-0000-4000-8000-0000d5a1e001','["ServiceRequest/sr-1"]','["missing-zcode"]','warning','claim','Add CPT 81445 and Z-code ZL5H2 to Lung and colon hotspot panel (50 genes): Medicare Part B - Noridian JF (Oregon) requires the Z-code');
INSERT INTO cards VALUES('75e880e5-d856-4b1d-aba4-4726e370f273',12,'moldx-order-sign','00000000-0000-4000-8000-0000d5a13009','["ServiceRequest/sr-1"]','["mismatched-code", "panel-cpt"]','warning','claim','Fix the billing codes of KRAS/NRAS/BRAF hotspot panel (3 genes): replace CPT 81445 with 81479');
INSERT INTO cards VALUES('602e4744-6c71-4ec3-8df9-faff20de0c30',12,'moldx-order-sign','00000000-0000-4000-8000-0000d5a13009','["ServiceRequest/sr-1"]','["invalid-diagnosis"]','warning','claim','C34.9 on KRAS/NRAS/BRAF hotspot panel (3 genes) is not billable: choose a more specific ICD-10-CM code');
INSERT INTO cards VALUES('6a16c0d6-5097-498e-bb45-377154f09e31',13,'moldx-order-sign','00000000-0000-4000-8000-0000d5a1e004','["ServiceRequest/sr-1"]','["not-payable"]','warning','coverage-info','Solid tumor RNA fusion panel (55 genes) will not be paid yet: its MolDX technical assessment is pending');
INSERT INTO cards VALUES('33b73bb7-be03-46cd-933b-2c574c99c9ca',15,'moldx-order-sign','00000000-0000-4000-8000-0000d5a13006','["ServiceRequest/sr-1"]','["cgp-specimen"]','warning','claim','Second comprehensive genomic profile on Specimen/sp-1: MolDX covers one per specimen');
INSERT INTO cards VALUES('af5575c4-2c7e-4e8d-b8a9-e7721e69f194',16,'moldx-order-sign','00000000-0000-4000-8000-0000d5a13011','["ServiceRequest/sr-2"]','["single-gene-in-panel"]','warning','claim','EGFR mutation analysis (single gene): EGFR is already tested by a panel on Specimen/sp-1');
INSERT INTO cards VALUES('bb7fff6a-0044-42c7-9bd6-e0367653ae07',17,'moldx-order-sign','00000000-0000-4000-8000-0000d5a1e005','["ServiceRequest/sr-1"]','["stale-code"]','warning','claim','Z-code ZM7S1 of Microsatellite instability analysis ended 2025-12-31: use ZM7S3');
INSERT INTO cards VALUES('187305eb-9a5e-4c53-b436-4d3627ffe005',18,'moldx-order-sign','00000000-0000-4000-8000-0000d5a13010','["ServiceRequest/sr-1"]','["units-of-service"]','warning','claim','Bill Lung and colon hotspot panel (50 genes) as one unit of service, not 2');
INSERT INTO cards VALUES('d4a71de9-b432-4ce3-b463-e38d39fd5655',19,'moldx-order-sign','00000000-0000-4000-8000-0000d5a13008','["ServiceRequest/sr-1"]','["unknown-payer"]','info','claim','The lab does not know payer 99999: Z-code and coverage checks were skipped');
INSERT INTO cards VALUES('9a12c989-94b7-41e2-8292-b66984f2868c',20,'moldx-order-sign','00000000-0000-4000-8000-0000d5a1e006','["ServiceRequest/sr-1"]','["unknown-test"]','info','claim','CMD-BRCA is not in the test catalog of Cascade Molecular Diagnostics: codes not checked');
CREATE TABLE IF NOT EXISTS "feedback" (
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
INSERT INTO findings VALUES(1,3,'ServiceRequest/sr-1','ambiguous-test','info',NULL,NULL,'b3879b42-af76-433c-947a-6fb92d2cdac5');
INSERT INTO findings VALUES(2,4,'ServiceRequest/sr-2','cgp-specimen','warning','CMD-EGFR',350,'74312e18-085e-4aac-a9a0-98e47ee107d3');
INSERT INTO findings VALUES(3,5,'ServiceRequest/sr-1','invalid-diagnosis','warning','CMD-LUNG50',1200,'b3e312a0-ff52-4bc5-baa5-92693ca7832d');
INSERT INTO findings VALUES(4,5,'ServiceRequest/sr-1','diagnosis-not-covered','warning','CMD-LUNG50',1200,'b3799393-57f9-4637-a037-82a3f5b0b237');
INSERT INTO findings VALUES(5,6,'ServiceRequest/sr-1','diagnosis-not-covered','warning','CMD-LUNG50',1200,'001a584a-4f6a-4068-a4b7-c0a1da38c07f');
INSERT INTO findings VALUES(6,7,'ServiceRequest/sr-1','diagnosis-not-covered','warning','CMD-LUNG50',1200,'d7c8eb66-0df3-4cab-89f6-43685ec04f3f');
INSERT INTO findings VALUES(7,8,'ServiceRequest/sr-1','diagnosis-not-covered','warning','CMD-LUNG50',1200,'759c4892-6392-4ff3-9032-0d471c736880');
INSERT INTO findings VALUES(8,9,'ServiceRequest/sr-1','mismatched-code','warning','CMD-KNB3',650,'58595f94-cc4b-47b0-8ca7-c52af21c81a5');
INSERT INTO findings VALUES(9,9,'ServiceRequest/sr-1','panel-cpt','warning','CMD-KNB3',650,'58595f94-cc4b-47b0-8ca7-c52af21c81a5');
INSERT INTO findings VALUES(10,10,'ServiceRequest/sr-1','mismatched-code','warning','CMD-LUNG50',1200,'271ffea9-1757-454d-9733-db865a9f0658');
INSERT INTO findings VALUES(11,11,'ServiceRequest/sr-1','missing-zcode','warning','CMD-LUNG50',1200,'d8303044-d3b8-4296-aef3-aa7aa2b10898');
INSERT INTO findings VALUES(12,12,'ServiceRequest/sr-1','mismatched-code','warning','CMD-KNB3',650,'75e880e5-d856-4b1d-aba4-4726e370f273');
INSERT INTO findings VALUES(13,12,'ServiceRequest/sr-1','panel-cpt','warning','CMD-KNB3',650,'75e880e5-d856-4b1d-aba4-4726e370f273');
INSERT INTO findings VALUES(14,12,'ServiceRequest/sr-1','invalid-diagnosis','warning','CMD-KNB3',650,'602e4744-6c71-4ec3-8df9-faff20de0c30');
INSERT INTO findings VALUES(15,13,'ServiceRequest/sr-1','not-payable','warning','CMD-FUS55',1400,'6a16c0d6-5097-498e-bb45-377154f09e31');
INSERT INTO findings VALUES(16,15,'ServiceRequest/sr-1','cgp-specimen','warning','CMD-CGP-DNA',3500,'33b73bb7-be03-46cd-933b-2c574c99c9ca');
INSERT INTO findings VALUES(17,16,'ServiceRequest/sr-2','single-gene-in-panel','warning','CMD-EGFR',350,'af5575c4-2c7e-4e8d-b8a9-e7721e69f194');
INSERT INTO findings VALUES(18,17,'ServiceRequest/sr-1','stale-code','warning','CMD-MSI',400,'bb7fff6a-0044-42c7-9bd6-e0367653ae07');
INSERT INTO findings VALUES(19,18,'ServiceRequest/sr-1','units-of-service','warning','CMD-LUNG50',1200,'187305eb-9a5e-4c53-b436-4d3627ffe005');
INSERT INTO findings VALUES(20,19,'ServiceRequest/sr-1','unknown-payer','info','CMD-LUNG50',1200,'d4a71de9-b432-4ce3-b463-e38d39fd5655');
INSERT INTO findings VALUES(21,20,'ServiceRequest/sr-1','unknown-test','info',NULL,NULL,'9a12c989-94b7-41e2-8292-b66984f2868c');
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
COMMIT;
