// Known-answer test data. Provenance is in the `source` field; values are copied, never computed.
// Generated from the published sources; do not edit by hand.
export const rfc8785Jcs = {
  "source": "RFC 8785 'JSON Canonicalization Scheme (JCS)' (June 2020): Section 3.2.2 (example input and JSON.stringify() output), Section 3.2.3 (canonical output of that example; property-sorting test data and expected order), Section 3.2.4 (UTF-8 bytes of the canonical output), Appendix B Table 1 (number serialization samples). Text taken from repository cyberphone/ietf-json-canon, files rfc8785-rfcmarkup.html (commit ef5ffbc152efbc33ba13672c42329f3a388bed6e, rendered RFC 8785 text) and xmlv3/rfc8785.xml (commit 07415508cf16e4fd42eec774344a91cd5593be5e, RFC XML source); the two agree for every value below. Test-data pairs from repository cyberphone/json-canonicalization, testdata/input/<name>.json and testdata/output/<name>.json (commit per entry).",
  "notes": [
    "All 'input'/'output' values are the exact document text as a JSON string (JSON-escaped here); a backslash sequence like \\u20ac inside an input is a literal 6-character JSON escape in the source text, whereas characters such as \u20ac in outputs are the literal Unicode character.",
    "RFC display artifacts removed: the RFC shows the two one-line outputs with 'a line wrap added for display purposes only'; here the line wrap (newline + indentation) is removed. The RFC's page indentation of example inputs is removed (JSON insignificant whitespace).",
    "rfc_3_2_3_canonical_output UTF-8 encoding was checked to be byte-identical to the hex bytes printed in RFC 8785 Section 3.2.4 (included as utf8_hex)."
  ],
  "rfc_3_2_2_example": {
    "section": "RFC 8785 Section 3.2.2 (input) / 3.2.3 (canonical output) / 3.2.4 (UTF-8 bytes)",
    "input": "{\n  \"numbers\": [333333333.33333329, 1E30, 4.50,\n              2e-3, 0.000000000000000000000000001],\n  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n  \"literals\": [null, true, false]\n}",
    "json_stringify_output_unsorted": "{\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"\u20ac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\",\"literals\":[null,true,false]}",
    "canonical_output": "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"\u20ac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}",
    "canonical_output_utf8_hex": "7b226c69746572616c73223a5b6e756c6c2c747275652c66616c73655d2c226e756d62657273223a5b3333333333333333332e333333333333332c31652b33302c342e352c302e3030322c31652d32375d2c22737472696e67223a22e282ac245c75303030665c6e4127425c225c5c5c5c5c222f227d"
  },
  "rfc_3_2_3_sorting_example": {
    "section": "RFC 8785 Section 3.2.3",
    "input": "{\n  \"\\u20ac\": \"Euro Sign\",\n  \"\\r\": \"Carriage Return\",\n  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n  \"1\": \"One\",\n  \"\\ud83d\\ude00\": \"Emoji: Grinning Face\",\n  \"\\u0080\": \"Control\",\n  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"\n}",
    "expected_value_order": [
      "Carriage Return",
      "One",
      "Control",
      "Latin Small Letter O With Diaeresis",
      "Euro Sign",
      "Emoji: Grinning Face",
      "Hebrew Letter Dalet With Dagesh"
    ],
    "expected_key_order": [
      "\r",
      "1",
      "\u0080",
      "\u00f6",
      "\u20ac",
      "\ud83d\ude00",
      "\ufb33"
    ],
    "expected_key_order_note": "expected_value_order is verbatim from the RFC ('Expected argument order after sorting property strings'); expected_key_order lists the corresponding property names (decoded) obtained by looking each value up in the input object."
  },
  "appendix_b_numbers": {
    "section": "RFC 8785 Appendix B, Table 1: ECMAScript-Compatible JSON Number Serialization Samples",
    "notes": {
      "(1)": "For maximum compliance with the ECMAScript JSON object, values that are to be interpreted as true integers SHOULD be in the range -9007199254740991 to 9007199254740991.",
      "(2)": "Although a set of specific integers like 2**68 could be regarded as having extended precision, the JCS/ECMAScript number serialization algorithm does not take this into consideration.",
      "(3)": "Values out of range are not permitted in JSON (NaN/Infinity MUST cause a compliant JCS implementation to terminate with an error; Section 3.2.2.3).",
      "(4)": "This number is exactly 1424953923781206.25 but will, after the 'Note 2' rule, be truncated and rounded to the closest even value."
    },
    "vectors": [
      {
        "ieee754_hex": "0000000000000000",
        "expected": "0",
        "error": false,
        "comment": "Zero"
      },
      {
        "ieee754_hex": "8000000000000000",
        "expected": "0",
        "error": false,
        "comment": "Minus zero"
      },
      {
        "ieee754_hex": "0000000000000001",
        "expected": "5e-324",
        "error": false,
        "comment": "Min pos number"
      },
      {
        "ieee754_hex": "8000000000000001",
        "expected": "-5e-324",
        "error": false,
        "comment": "Min neg number"
      },
      {
        "ieee754_hex": "7fefffffffffffff",
        "expected": "1.7976931348623157e+308",
        "error": false,
        "comment": "Max pos number"
      },
      {
        "ieee754_hex": "ffefffffffffffff",
        "expected": "-1.7976931348623157e+308",
        "error": false,
        "comment": "Max neg number"
      },
      {
        "ieee754_hex": "4340000000000000",
        "expected": "9007199254740992",
        "error": false,
        "comment": "Max pos int (1)"
      },
      {
        "ieee754_hex": "c340000000000000",
        "expected": "-9007199254740992",
        "error": false,
        "comment": "Max neg int (1)"
      },
      {
        "ieee754_hex": "4430000000000000",
        "expected": "295147905179352830000",
        "error": false,
        "comment": "~2**68 (2)"
      },
      {
        "ieee754_hex": "7fffffffffffffff",
        "expected": null,
        "error": true,
        "comment": "NaN (3)"
      },
      {
        "ieee754_hex": "7ff0000000000000",
        "expected": null,
        "error": true,
        "comment": "Infinity (3)"
      },
      {
        "ieee754_hex": "44b52d02c7e14af5",
        "expected": "9.999999999999997e+22",
        "error": false,
        "comment": ""
      },
      {
        "ieee754_hex": "44b52d02c7e14af6",
        "expected": "1e+23",
        "error": false,
        "comment": ""
      },
      {
        "ieee754_hex": "44b52d02c7e14af7",
        "expected": "1.0000000000000001e+23",
        "error": false,
        "comment": ""
      },
      {
        "ieee754_hex": "444b1ae4d6e2ef4e",
        "expected": "999999999999999700000",
        "error": false,
        "comment": ""
      },
      {
        "ieee754_hex": "444b1ae4d6e2ef4f",
        "expected": "999999999999999900000",
        "error": false,
        "comment": ""
      },
      {
        "ieee754_hex": "444b1ae4d6e2ef50",
        "expected": "1e+21",
        "error": false,
        "comment": ""
      },
      {
        "ieee754_hex": "3eb0c6f7a0b5ed8c",
        "expected": "9.999999999999997e-7",
        "error": false,
        "comment": ""
      },
      {
        "ieee754_hex": "3eb0c6f7a0b5ed8d",
        "expected": "0.000001",
        "error": false,
        "comment": ""
      },
      {
        "ieee754_hex": "41b3de4355555553",
        "expected": "333333333.3333332",
        "error": false,
        "comment": ""
      },
      {
        "ieee754_hex": "41b3de4355555554",
        "expected": "333333333.33333325",
        "error": false,
        "comment": ""
      },
      {
        "ieee754_hex": "41b3de4355555555",
        "expected": "333333333.3333333",
        "error": false,
        "comment": ""
      },
      {
        "ieee754_hex": "41b3de4355555556",
        "expected": "333333333.3333334",
        "error": false,
        "comment": ""
      },
      {
        "ieee754_hex": "41b3de4355555557",
        "expected": "333333333.33333343",
        "error": false,
        "comment": ""
      },
      {
        "ieee754_hex": "becbf647612f3696",
        "expected": "-0.0000033333333333333333",
        "error": false,
        "comment": ""
      },
      {
        "ieee754_hex": "43143ff3c1cb0959",
        "expected": "1424953923781206.2",
        "error": false,
        "comment": "Round to even (4)"
      }
    ]
  },
  "cyberphone_testdata": {
    "source": "repository cyberphone/json-canonicalization, testdata/input/<name>.json -> testdata/output/<name>.json",
    "caveat": "The index stores older revisions of some of these files; each pair below is taken from a single commit (listed) so input and output match each other, but upstream HEAD may differ (e.g. later revisions fix 'ingnore' -> 'ignore' in french.json and add more keys to weird.json / structures.json). testdata/output/arrays.json was not available, so the 'arrays' pair is omitted.",
    "pairs": [
      {
        "name": "french",
        "input": "{\n  \"peach\": \"This sorting order\",\n  \"p\u00e9ch\u00e9\": \"is wrong according to French\",\n  \"p\u00eache\": \"but canonicalization MUST\",\n  \"sin\":   \"ingnore locale\"\n}\n",
        "output": "{\"peach\":\"This sorting order\",\"p\u00e9ch\u00e9\":\"is wrong according to French\",\"p\u00eache\":\"but canonicalization MUST\",\"sin\":\"ingnore locale\"}",
        "commit": "b01b0235cf94374efe5d11d00a86a11054756374"
      },
      {
        "name": "simpleString",
        "input": "    \"this is a test string 1235\"",
        "output": "\"this is a test string 1235\"",
        "commit": "987e82e78b88f0f77588d4b3f0496dbf12bc6111"
      },
      {
        "name": "structures",
        "input": "{\n  \"1\": {\"f\": {\"f\": \"hi\",\"F\": 5} ,\"\\n\": 56.0},\n  \"10\": { },\n  \"\": \"empty\",\n  \"a\": { },\n  \"111\": [ { } ],\n  \"A\": { }\n}",
        "output": "{\"\":\"empty\",\"1\":{\"\\n\":56,\"f\":{\"F\":5,\"f\":\"hi\"}},\"10\":{},\"111\":[{}],\"A\":{},\"a\":{}}",
        "commit": "72a2163bae9803964410d89cea8874787a95718b"
      },
      {
        "name": "unicode",
        "input": "{\n  \"Unnormalized Unicode\":\"\\u1e0d\\u0307\"\n}\n",
        "output": "{\"Unnormalized Unicode\":\"\u1e0d\u0307\"}",
        "commit": "ff225671c5de178c946aad33ac5ef454d236505e"
      },
      {
        "name": "values",
        "input": "{\n  \"numbers\": [1E30, 4.50, 333333333.33333329, 2e-3, 0.000000000000000000000000001],\n  \"escaping\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n  \"literals\": [null, true, false]\n}",
        "output": "{\"escaping\":\"\u20ac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\",\"literals\":[null,true,false],\"numbers\":[1e+30,4.5,333333333.3333333,0.002,1e-27]}",
        "commit": "1e2733fc2bd37ed680fbb595f063f7bc62b4a0ec"
      },
      {
        "name": "weird",
        "input": "{\n  \"\\u20ac\": \"Euro Sign\",\n  \"1\": \"One\",\n  \"\\u0080\": \"Control\\u007f\",\n  \"\\ud83d\\ude02\": \"Smiley\",\n  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\",\n  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n  \"</script>\": \"Browser Challenge\"\n}\n",
        "output": "{\"1\":\"One\",\"</script>\":\"Browser Challenge\",\"\u0080\":\"Control\u007f\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\",\"\ud83d\ude02\":\"Smiley\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
        "commit": "77917fbd5d923bca23a9b5eb8851deec918016bf"
      }
    ]
  }
} as const;
