"""``/api/finetune``: start, watch and cancel fine-tune jobs.

    POST   /api/finetune        {"text": "...", "model": "name", "epochs": 1,
                                 "max_steps": 200, "lora": false, "name": "my-model"}
                                -> 202 {"id": "ft-...", "status": "queued", ...}
    GET    /api/finetune        every job this server remembers
    GET    /api/finetune/{id}   status, step / total_steps, loss, eta_seconds, model
    DELETE /api/finetune/{id}   cancel (a queued job at once, a running one within a step)

The text is the request body's ``text`` field (the web page reads the
chosen file into it); the body size limit bounds it.
"""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from textgen.server.schemas import FinetuneRequest

router = APIRouter()


@router.post("/api/finetune", status_code=202)
async def start_finetune(body: FinetuneRequest, request: Request):
    services = request.app.state.services
    entry = services.registry.lookup(body.model)
    job = services.finetunes.submit(entry.name, entry.path, body.text, epochs=body.epochs,
                                    max_steps=body.max_steps, lora=body.lora, name=body.name)
    return JSONResponse(job.to_dict(), status_code=202,
                        headers={"Location": f"/api/finetune/{job.id}"})


@router.get("/api/finetune")
async def list_finetunes(request: Request):
    jobs = request.app.state.services.finetunes.jobs.values()
    return {"object": "list", "data": [j.to_dict() for j in sorted(jobs, key=lambda j: j.created)]}


@router.get("/api/finetune/{job_id}")
async def get_finetune(job_id: str, request: Request):
    return request.app.state.services.finetunes.get(job_id).to_dict()


@router.delete("/api/finetune/{job_id}")
async def cancel_finetune(job_id: str, request: Request):
    return request.app.state.services.finetunes.cancel(job_id).to_dict()
