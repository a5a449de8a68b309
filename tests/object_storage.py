"""A local S3-compatible server (moto's server mode) and Prefect's S3 blocks on it.

Stands in for a bucket that machines share: prefect-aws's `S3Bucket` block, the `s3`
extra of prefect-kling, talks to it as to AWS, through the endpoint URL of its
credentials. The keys are moto's dummies, never an account's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.prefect_server import free_port

REGION = "us-east-1"


@dataclass(frozen=True)
class LocalS3:
    """A running moto server and one bucket on it."""

    endpoint_url: str
    bucket: str

    def bucket_block(self, folder: str):  # -> prefect_aws.S3Bucket
        """An `S3Bucket` block on the bucket's `folder` (not saved)."""
        from prefect_aws import AwsClientParameters, AwsCredentials, S3Bucket

        credentials = AwsCredentials(
            aws_access_key_id="moto-key",
            aws_secret_access_key="moto-secret",
            region_name=REGION,
            aws_client_parameters=AwsClientParameters(endpoint_url=self.endpoint_url),
        )
        return S3Bucket(bucket_name=self.bucket, bucket_folder=folder, credentials=credentials)

    def objects(self, prefix: str = "") -> dict[str, bytes]:
        """Every object under `prefix`, by key."""
        client = self.bucket_block("").credentials.get_s3_client()
        listed = client.list_objects_v2(Bucket=self.bucket, Prefix=prefix).get("Contents", [])
        return {
            item["Key"]: client.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read()
            for item in listed
        }


@contextmanager
def local_s3(bucket: str = "kling-media") -> Iterator[LocalS3]:
    """Start moto's S3 server on a free loopback port with an empty bucket; stop it after."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        storage = LocalS3(f"http://127.0.0.1:{port}", bucket)
        storage.bucket_block("").credentials.get_s3_client().create_bucket(Bucket=bucket)
        yield storage
    finally:
        server.stop()
