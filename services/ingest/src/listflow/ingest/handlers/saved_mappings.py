"""Options with a tenant's saved mapping applied, once the file's columns are known."""

from dataclasses import dataclass

from listflow.ingest.domain.upload import Upload, UploadOptions
from listflow.ingest.ports import SavedMappings
from listflow.kit.errors import Invalid


@dataclass(frozen=True)
class SavedMappingOptions:
    mappings: SavedMappings

    async def resolve(self, upload: Upload, options: UploadOptions | None) -> UploadOptions | None:
        """Options for starting or previewing `upload`: with its saved mapping applied, if
        it names one."""
        merged = upload.options.merged_with(options)
        if merged.saved_mapping is None:
            return options
        return await self.applied(upload.tenant_id, merged, upload.headers)

    async def applied(
        self, tenant_id: str, options: UploadOptions, headers: list[str]
    ) -> UploadOptions:
        """The options with their named saved mapping applied to the file's `headers`
        (columns the file lacks are left out, so one mapping serves exports with optional
        columns); explicit `mapping` keys win."""
        assert options.saved_mapping is not None
        doc = await self.mappings.find(tenant_id, options.saved_mapping)
        if doc is None:
            raise Invalid(
                "Unknown saved mapping",
                f"No saved mapping is named {options.saved_mapping!r} in this tenant.",
            )
        present = {h.strip().casefold() for h in headers}
        saved = {
            pair["column"]: pair["field"]
            for pair in doc["columns"]
            if pair["column"].strip().casefold() in present
        }
        return options.model_copy(update={"mapping": {**saved, **(options.mapping or {})}})
