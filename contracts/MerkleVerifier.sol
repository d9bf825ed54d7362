// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// Checks the proofs of StandardMerkleTree (sorted pairs, keccak256, leaves hashed twice),
/// written for this project from OpenZeppelin's MerkleProof algorithm, so that a test can
/// show on a real EVM that our proofs verify on chain.
contract MerkleVerifier {
    function leafOf(bytes calldata encodedValue) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(encodedValue)));
    }

    function verify(bytes32[] calldata proof, bytes32 root, bytes32 leaf) public pure returns (bool) {
        bytes32 node = leaf;
        for (uint256 i = 0; i < proof.length; i++) {
            node = _pair(node, proof[i]);
        }
        return node == root;
    }

    function multiProofVerify(
        bytes32[] calldata proof,
        bool[] calldata proofFlags,
        bytes32 root,
        bytes32[] calldata leaves
    ) public pure returns (bool) {
        require(leaves.length + proof.length == proofFlags.length + 1, "invalid multiproof");
        bytes32[] memory hashes = new bytes32[](proofFlags.length);
        // pos[0]: next leaf, pos[1]: next computed hash, pos[2]: next proof item
        uint256[3] memory pos;
        for (uint256 i = 0; i < proofFlags.length; i++) {
            bytes32 a = _take(leaves, hashes, pos);
            bytes32 b;
            if (proofFlags[i]) {
                b = _take(leaves, hashes, pos);
            } else {
                require(pos[2] < proof.length, "invalid multiproof");
                b = proof[pos[2]++];
            }
            hashes[i] = _pair(a, b);
        }
        if (proofFlags.length > 0) {
            require(pos[2] == proof.length, "invalid multiproof");
            return hashes[proofFlags.length - 1] == root;
        } else if (leaves.length > 0) {
            return leaves[0] == root;
        }
        return proof[0] == root;
    }

    function _take(bytes32[] calldata leaves, bytes32[] memory hashes, uint256[3] memory pos)
        private
        pure
        returns (bytes32)
    {
        return pos[0] < leaves.length ? leaves[pos[0]++] : hashes[pos[1]++];
    }

    function _pair(bytes32 a, bytes32 b) private pure returns (bytes32) {
        return a < b ? keccak256(abi.encodePacked(a, b)) : keccak256(abi.encodePacked(b, a));
    }
}
