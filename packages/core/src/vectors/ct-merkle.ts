// Known-answer test data. Provenance is in the `source` field; values are copied, never computed.
// Generated from the published sources; do not edit by hand.
export const ctMerkle = {
  "source": "Repository transparency-dev/merkle (Go; successor of google/trillian merkle code). Leaf inputs, node hashes and root hashes: testonly/constants.go (LeafInputs, NodeHashes, RootHashes, EmptyRootHash; commit 582a6ad190b6848f1d26f8bf08ddef29955d9db1). Inclusion and consistency proofs: proof/verify_test.go (inclusionProofs, consistencyProofs, roots, leaves; commit 02194e9afb6c1d95b5381350007963aa70fff472). Hashing is RFC 6962 section 2.1 (SHA-256; leaf hash = SHA-256(0x00 || leaf), interior = SHA-256(0x01 || left || right)).",
  "notes": [
    "Leaf inputs are raw bytes in hex (leaf 0 is the empty byte string). Tree size n uses leaves[0..n-1].",
    "leaf_index is 0-based. proof/verify_test.go stores inclusion vectors with a 1-based leaf number ('leaf'; the test calls VerifyInclusion with p.leaf-1); that original value is kept as source_leaf_1based.",
    "Proof hash lists are in the order returned/consumed by RFC 6962 / transparency-dev verifiers (leaf-to-root for inclusion).",
    "verify_test.go also contains an entry {0, 0, nil} which is an invalid (negative) case and is not listed here. It also defines sha256EmptyTreeHash = root of the empty tree, included as root_hashes_by_size['0'].",
    "Cross-check performed: every root, leaf hash and proof below was re-derived with a straightforward RFC 6962 section 2.1 implementation and matched exactly; the same 8 roots also appear in many other independent test suites (e.g. google/certificate-transparency-go, transparency-dev/merkle testdata/*.json in base64)."
  ],
  "hash_algorithm": "SHA-256, RFC 6962 section 2.1",
  "leaf_inputs_hex": [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f"
  ],
  "leaf_hashes_hex": [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"
  ],
  "root_hashes_by_size": {
    "0": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "1": "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "2": "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "3": "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "4": "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "5": "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "6": "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "7": "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "8": "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
  },
  "node_hashes_by_level": {
    "description": "NodeHashes(): level 0 = leaf hashes, level L index i = hash of the complete subtree covering leaves [i*2^L, (i+1)*2^L)",
    "levels": [
      [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"
      ],
      [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
      ],
      [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
      ],
      [
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
      ]
    ]
  },
  "inclusion_proofs": [
    {
      "leaf_index": 0,
      "source_leaf_1based": 1,
      "tree_size": 1,
      "leaf_input_hex": "",
      "leaf_hash_hex": "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "root_hex": "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "proof_hex": []
    },
    {
      "leaf_index": 0,
      "source_leaf_1based": 1,
      "tree_size": 8,
      "leaf_input_hex": "",
      "leaf_hash_hex": "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "root_hex": "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
      "proof_hex": [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
      ]
    },
    {
      "leaf_index": 5,
      "source_leaf_1based": 6,
      "tree_size": 8,
      "leaf_input_hex": "40414243",
      "leaf_hash_hex": "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
      "root_hex": "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
      "proof_hex": [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
      ]
    },
    {
      "leaf_index": 2,
      "source_leaf_1based": 3,
      "tree_size": 3,
      "leaf_input_hex": "10",
      "leaf_hash_hex": "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
      "root_hex": "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "proof_hex": [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
      ]
    },
    {
      "leaf_index": 1,
      "source_leaf_1based": 2,
      "tree_size": 5,
      "leaf_input_hex": "00",
      "leaf_hash_hex": "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "root_hex": "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "proof_hex": [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
      ]
    }
  ],
  "consistency_proofs": [
    {
      "size1": 1,
      "size2": 1,
      "root1_hex": "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "root2_hex": "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "proof_hex": []
    },
    {
      "size1": 1,
      "size2": 8,
      "root1_hex": "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "root2_hex": "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
      "proof_hex": [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
      ]
    },
    {
      "size1": 6,
      "size2": 8,
      "root1_hex": "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "root2_hex": "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
      "proof_hex": [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
      ]
    },
    {
      "size1": 2,
      "size2": 5,
      "root1_hex": "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "root2_hex": "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "proof_hex": [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
      ]
    },
    {
      "size1": 6,
      "size2": 7,
      "root1_hex": "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "root2_hex": "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "proof_hex": [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
      ]
    }
  ]
} as const;
