-- 0012: search on both engines (issue 9).
--
-- The people search needs nothing here on SQLite: it keeps using the FTS5
-- table people_search with the jm_cjk tokenizer (0005). PostgreSQL has no
-- FTS5, so migrations/pg/0012_search_terms.sql creates the bigram term
-- table network/search_pg.c fills from the same search_dirty drain; this
-- file has the same name so the schema version reads the same on both.
--
-- The 読み (furigana) sort orders ひらがな and カタカナ together: people are
-- sorted by furigana_key, the furigana with katakana turned into hiragana
-- (ァ..ヶ → ぁ..ゖ, ヽヾ → ゝゞ; ー and everything else unchanged). Triggers
-- keep it, so every writer of people (people/, imports, merges, the
-- migrate tool) gets it for free. SQLite has no translate(), so the key is
-- 88 replace() calls in four UPDATEs (SQLite's parser takes about 30 nested
-- calls): plain SQL, so the sqlite3 shell and scripts that write people
-- (bench/) keep working; PostgreSQL uses translate().
-- Only people with a furigana pay the extra UPDATE (most imports have none).

ALTER TABLE people ADD COLUMN furigana_key TEXT NOT NULL DEFAULT '';

CREATE TRIGGER people_furigana_key_i AFTER INSERT ON people
  WHEN new.furigana <> ''
BEGIN
  UPDATE people SET furigana_key =
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(furigana,'ァ','ぁ'),'ア','あ'),'ィ','ぃ'),'イ','い'),'ゥ','ぅ'),'ウ','う'),'ェ','ぇ'),'エ','え'),'ォ','ぉ'),'オ','お'),'カ','か'),'ガ','が'),'キ','き'),'ギ','ぎ'),'ク','く'),'グ','ぐ'),'ケ','け'),'ゲ','げ'),'コ','こ'),'ゴ','ご'),'サ','さ'),'ザ','ざ')
   WHERE id = new.id;
  UPDATE people SET furigana_key =
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(furigana_key,'シ','し'),'ジ','じ'),'ス','す'),'ズ','ず'),'セ','せ'),'ゼ','ぜ'),'ソ','そ'),'ゾ','ぞ'),'タ','た'),'ダ','だ'),'チ','ち'),'ヂ','ぢ'),'ッ','っ'),'ツ','つ'),'ヅ','づ'),'テ','て'),'デ','で'),'ト','と'),'ド','ど'),'ナ','な'),'ニ','に'),'ヌ','ぬ')
   WHERE id = new.id;
  UPDATE people SET furigana_key =
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(furigana_key,'ネ','ね'),'ノ','の'),'ハ','は'),'バ','ば'),'パ','ぱ'),'ヒ','ひ'),'ビ','び'),'ピ','ぴ'),'フ','ふ'),'ブ','ぶ'),'プ','ぷ'),'ヘ','へ'),'ベ','べ'),'ペ','ぺ'),'ホ','ほ'),'ボ','ぼ'),'ポ','ぽ'),'マ','ま'),'ミ','み'),'ム','む'),'メ','め'),'モ','も')
   WHERE id = new.id;
  UPDATE people SET furigana_key =
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(furigana_key,'ャ','ゃ'),'ヤ','や'),'ュ','ゅ'),'ユ','ゆ'),'ョ','ょ'),'ヨ','よ'),'ラ','ら'),'リ','り'),'ル','る'),'レ','れ'),'ロ','ろ'),'ヮ','ゎ'),'ワ','わ'),'ヰ','ゐ'),'ヱ','ゑ'),'ヲ','を'),'ン','ん'),'ヴ','ゔ'),'ヵ','ゕ'),'ヶ','ゖ'),'ヽ','ゝ'),'ヾ','ゞ')
   WHERE id = new.id;
END;

CREATE TRIGGER people_furigana_key_u AFTER UPDATE OF furigana ON people
  WHEN new.furigana IS NOT old.furigana
BEGIN
  UPDATE people SET furigana_key =
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(furigana,'ァ','ぁ'),'ア','あ'),'ィ','ぃ'),'イ','い'),'ゥ','ぅ'),'ウ','う'),'ェ','ぇ'),'エ','え'),'ォ','ぉ'),'オ','お'),'カ','か'),'ガ','が'),'キ','き'),'ギ','ぎ'),'ク','く'),'グ','ぐ'),'ケ','け'),'ゲ','げ'),'コ','こ'),'ゴ','ご'),'サ','さ'),'ザ','ざ')
   WHERE id = new.id;
  UPDATE people SET furigana_key =
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(furigana_key,'シ','し'),'ジ','じ'),'ス','す'),'ズ','ず'),'セ','せ'),'ゼ','ぜ'),'ソ','そ'),'ゾ','ぞ'),'タ','た'),'ダ','だ'),'チ','ち'),'ヂ','ぢ'),'ッ','っ'),'ツ','つ'),'ヅ','づ'),'テ','て'),'デ','で'),'ト','と'),'ド','ど'),'ナ','な'),'ニ','に'),'ヌ','ぬ')
   WHERE id = new.id;
  UPDATE people SET furigana_key =
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(furigana_key,'ネ','ね'),'ノ','の'),'ハ','は'),'バ','ば'),'パ','ぱ'),'ヒ','ひ'),'ビ','び'),'ピ','ぴ'),'フ','ふ'),'ブ','ぶ'),'プ','ぷ'),'ヘ','へ'),'ベ','べ'),'ペ','ぺ'),'ホ','ほ'),'ボ','ぼ'),'ポ','ぽ'),'マ','ま'),'ミ','み'),'ム','む'),'メ','め'),'モ','も')
   WHERE id = new.id;
  UPDATE people SET furigana_key =
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(furigana_key,'ャ','ゃ'),'ヤ','や'),'ュ','ゅ'),'ユ','ゆ'),'ョ','ょ'),'ヨ','よ'),'ラ','ら'),'リ','り'),'ル','る'),'レ','れ'),'ロ','ろ'),'ヮ','ゎ'),'ワ','わ'),'ヰ','ゐ'),'ヱ','ゑ'),'ヲ','を'),'ン','ん'),'ヴ','ゔ'),'ヵ','ゕ'),'ヶ','ゖ'),'ヽ','ゝ'),'ヾ','ゞ')
   WHERE id = new.id;
END;

UPDATE people SET furigana_key =
  replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(furigana,'ァ','ぁ'),'ア','あ'),'ィ','ぃ'),'イ','い'),'ゥ','ぅ'),'ウ','う'),'ェ','ぇ'),'エ','え'),'ォ','ぉ'),'オ','お'),'カ','か'),'ガ','が'),'キ','き'),'ギ','ぎ'),'ク','く'),'グ','ぐ'),'ケ','け'),'ゲ','げ'),'コ','こ'),'ゴ','ご'),'サ','さ'),'ザ','ざ')
 WHERE furigana <> '';
UPDATE people SET furigana_key =
  replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(furigana_key,'シ','し'),'ジ','じ'),'ス','す'),'ズ','ず'),'セ','せ'),'ゼ','ぜ'),'ソ','そ'),'ゾ','ぞ'),'タ','た'),'ダ','だ'),'チ','ち'),'ヂ','ぢ'),'ッ','っ'),'ツ','つ'),'ヅ','づ'),'テ','て'),'デ','で'),'ト','と'),'ド','ど'),'ナ','な'),'ニ','に'),'ヌ','ぬ')
 WHERE furigana <> '';
UPDATE people SET furigana_key =
  replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(furigana_key,'ネ','ね'),'ノ','の'),'ハ','は'),'バ','ば'),'パ','ぱ'),'ヒ','ひ'),'ビ','び'),'ピ','ぴ'),'フ','ふ'),'ブ','ぶ'),'プ','ぷ'),'ヘ','へ'),'ベ','べ'),'ペ','ぺ'),'ホ','ほ'),'ボ','ぼ'),'ポ','ぽ'),'マ','ま'),'ミ','み'),'ム','む'),'メ','め'),'モ','も')
 WHERE furigana <> '';
UPDATE people SET furigana_key =
  replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(furigana_key,'ャ','ゃ'),'ヤ','や'),'ュ','ゅ'),'ユ','ゆ'),'ョ','ょ'),'ヨ','よ'),'ラ','ら'),'リ','り'),'ル','る'),'レ','れ'),'ロ','ろ'),'ヮ','ゎ'),'ワ','わ'),'ヰ','ゐ'),'ヱ','ゑ'),'ヲ','を'),'ン','ん'),'ヴ','ゔ'),'ヵ','ゕ'),'ヶ','ゖ'),'ヽ','ゝ'),'ヾ','ゞ')
 WHERE furigana <> '';
