-- Bilingual organisation names (issue 22): the Chinese name beside the English one,
-- empty where none is known (the Chinese UI then shows the English name).

ALTER TABLE organisations ADD COLUMN name_zh TEXT;
