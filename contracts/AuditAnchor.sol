// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// Anchors audit records on chain: one event per record, with the Merkle root of the run's
/// outcomes and the record's CID, so that anyone can tie a record to a block and a sender.
contract AuditAnchor {
    event Anchored(address indexed auditor, bytes32 indexed merkleRoot, string cid);

    function anchor(bytes32 merkleRoot, string calldata cid) external {
        require(bytes(cid).length > 0, "empty CID");
        emit Anchored(msg.sender, merkleRoot, cid);
    }
}
